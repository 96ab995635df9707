import { Inject, Injectable } from '@nestjs/common';
import { AppException, BLOB_STORE, type BlobStore } from '@parley/common';
import { ErrorCode, type ImageVariant } from '@parley/protocol';
import { ImagesReadModel } from '../read-model/images.read-model';

/**
 * Serving an image: its uploader and the members of a conversation where it was sent get its
 * bytes; everyone else gets the same 404 as for an image that does not exist.
 */
@Injectable()
export class ImageAccessService {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly images: ImagesReadModel,
  ) {}

  async read(userId: string, imageId: string, variant: ImageVariant): Promise<Buffer> {
    const key = await this.images.blobKeyFor(userId, imageId, variant);
    const content = key === undefined ? null : await this.blobs.get(key);
    if (content === null) throw new AppException(ErrorCode.NotFound, 'No such image');
    return content;
  }
}
