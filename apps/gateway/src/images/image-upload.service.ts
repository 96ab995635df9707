import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  AppException,
  BLOB_STORE,
  type BlobStore,
  BlobTooLargeError,
  ImageUploadedV1,
  RedisKeys,
  Topic,
} from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import {
  ErrorCode,
  IMAGE_UPLOAD_TYPES,
  type MessageImage,
  sniffImageFormat,
} from '@parley/protocol';
import type { GatewayConfig } from '../config/gateway.config';
import type { DrainLimits } from './drain-refused-body';
import { MessagingException } from '../errors/messaging.exception';
import { ImagesReadModel } from '../read-model/images.read-model';
import { retryAfter, ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import { ImageResultsSubscriber } from './image-results.subscriber';

/** Uploads one gateway processes at once (each holds an HTTP request while storage works). */
export const IMAGE_UPLOADS_IN_FLIGHT = 16;

/** What the HTTP layer hands over of an upload request. */
export interface UploadRequest {
  contentType: string | undefined;
  contentLength: string | undefined;
  body: NodeJS.ReadableStream;
}

/**
 * The accept step of an image: every cheap refusal first (the budget, the declared type and
 * length, the quota, this box's uploads in flight), then the body streamed into the blob store's
 * staging under the size cap, its first bytes checked to be a JPEG, PNG or WebP, and the upload
 * handed to storage (`image.uploaded` on parley.images.v1); the request waits for storage's answer.
 * A refusal at any step deletes what was staged: nothing half-written stays.
 */
/** Long enough for a client to read a refusal; short enough that a drained body costs little. */
const REFUSED_BODY_DRAIN_MS = 2000;

@Injectable()
export class ImageUploadService {
  private readonly logger = new Logger(ImageUploadService.name);

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly images: ImagesReadModel,
    private readonly results: ImageResultsSubscriber,
    private readonly publisher: EventPublisher,
    private readonly throttle: ThrottleCountersRepository,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      GatewayConfig,
      | 'GATEWAY_ID'
      | 'IMAGE_MAX_BYTES'
      | 'IMAGE_UPLOADS_PER_MINUTE'
      | 'IMAGE_QUOTA_BYTES'
      | 'IMAGE_PROCESS_TIMEOUT_MS'
    >,
  ) {}

  /** What is read off a refused upload's body before its connection closes (drainRefusedBody). */
  get refusedBodyLimits(): DrainLimits {
    return { ms: REFUSED_BODY_DRAIN_MS, bytes: this.config.IMAGE_MAX_BYTES };
  }

  async upload(uploaderId: string, request: UploadRequest): Promise<MessageImage> {
    const [uploads] = await this.throttle.hit([RedisKeys.throttle('image', uploaderId)], 60);
    if (uploads.count > this.config.IMAGE_UPLOADS_PER_MINUTE) {
      throw MessagingException.rateLimited(
        retryAfter(uploads.ttlSeconds, 60) * 1000,
        'Too many uploads',
      );
    }
    const declared = (request.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!(IMAGE_UPLOAD_TYPES as readonly string[]).includes(declared)) {
      throw notAnImage();
    }
    const length = Number(request.contentLength);
    if (Number.isFinite(length) && length > this.config.IMAGE_MAX_BYTES) throw this.tooLarge();
    if ((await this.images.storedBytesOf(uploaderId)) >= this.config.IMAGE_QUOTA_BYTES) {
      throw new AppException(ErrorCode.QuotaExceeded, 'Your images use all of your storage quota');
    }
    if (this.results.inFlight >= IMAGE_UPLOADS_IN_FLIGHT) {
      throw MessagingException.overloaded('Too many uploads in progress');
    }

    const imageId = randomUUID();
    const pending = this.results.wait(imageId, this.config.IMAGE_PROCESS_TIMEOUT_MS);
    let stagedKey: string | undefined;
    try {
      const staged = await this.blobs
        .stage(request.body, this.config.IMAGE_MAX_BYTES)
        .catch((err: unknown) => {
          throw err instanceof BlobTooLargeError ? this.tooLarge() : err;
        });
      stagedKey = staged.key;
      if (staged.bytes === 0 || sniffImageFormat(staged.head) === null) throw notAnImage();
      await this.publisher.publish(Topic.Images, imageId, ImageUploadedV1, {
        imageId,
        uploaderId,
        stagedKey: staged.key,
        bytes: staged.bytes,
        replyTo: this.config.GATEWAY_ID,
        uploadedAt: new Date().toISOString(),
      });
    } catch (err) {
      pending.cancel();
      if (stagedKey !== undefined) await this.blobs.deleteStaged(stagedKey).catch(() => undefined);
      throw err;
    }
    // From here storage owns the staged bytes (it deletes them, whatever the outcome).
    const result = await pending.result;
    if (result === undefined) {
      this.logger.warn({ imageId }, 'image not processed in time');
      throw new AppException(
        ErrorCode.Unavailable,
        'The image was not processed in time; upload it again',
        {
          retryAfterSeconds: 1,
          retryAfterMs: 1000,
        },
      );
    }
    if (result.outcome === 'refused') {
      throw new AppException(result.code as ErrorCode, result.message);
    }
    return result.image;
  }

  private tooLarge(): AppException {
    const mb = Math.floor(this.config.IMAGE_MAX_BYTES / (1024 * 1024));
    return new AppException(
      ErrorCode.ImageTooLarge,
      `Images may be at most ${mb >= 1 ? `${mb} MB` : `${this.config.IMAGE_MAX_BYTES} bytes`}`,
    );
  }
}

function notAnImage(): AppException {
  return new AppException(
    ErrorCode.ImageTypeUnsupported,
    'Only JPEG, PNG and WebP images can be uploaded',
  );
}
