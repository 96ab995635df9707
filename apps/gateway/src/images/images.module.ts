import { Module } from '@nestjs/common';
import { BLOB_STORE_PROVIDER } from '@parley/common';
import { ImageAccessService } from './image-access.service';
import { ImageResultsSubscriber } from './image-results.subscriber';
import { ImageUploadService } from './image-upload.service';
import { ImagesController } from './images.controller';

/** Image uploads (staged, handed to storage to process) and image downloads. */
@Module({
  controllers: [ImagesController],
  providers: [BLOB_STORE_PROVIDER, ImageResultsSubscriber, ImageUploadService, ImageAccessService],
})
export class ImagesModule {}
