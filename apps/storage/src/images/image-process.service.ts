import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import {
  APP_CONFIG,
  BLOB_STORE,
  type BlobStore,
  type EnvelopeOf,
  execOrThrow,
  IMAGE_RESULT_KEEP_MS,
  type ImageResult,
  ImageUploadedV1,
  REDIS,
  RedisChannels,
  RedisKeys,
  periodic,
  type StopPeriodic,
} from '@parley/common';
import { messageImageOf } from '@parley/protocol';
import Redis from 'ioredis';
import type { StorageConfig } from '../config/storage.config';
import type { ImageLimits } from './image-processor';
import { ImageWorkerProcess } from './image-worker.process';
import { ImagesRepository } from './images.repository';

export type ImageUploadedEnvelope = EnvelopeOf<typeof ImageUploadedV1>;

/** Staged uploads older than this are what a crashed gateway or a lost answer left: deleted. */
export const STAGED_MAX_AGE_MS = 3600 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * The processing step of an upload: in the image worker process (lower CPU priority), decode
 * within the pixel cap, orientation applied, metadata stripped (processImage), both served versions
 * into the blob store (content-addressed); here, the row
 * into `images`, the staged bytes deleted, and the waiting gateway answered. A refusal deletes
 * the staged bytes and keeps nothing. Idempotent: a redelivered upload finds its row and answers
 * again. The transport commits the offset after this returns, so a crash between the row and the
 * answer redelivers it.
 */
@Injectable()
export class ImageProcessService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ImageProcessService.name);
  private readonly limits: ImageLimits;
  private stopSweeper?: StopPeriodic;

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly images: ImagesRepository,
    private readonly worker: ImageWorkerProcess,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      StorageConfig,
      'PARLEY_CLUSTER_ID' | 'IMAGE_MAX_PIXELS' | 'IMAGE_DISPLAY_MAX_SIDE' | 'IMAGE_THUMB_MAX_SIDE'
    >,
  ) {
    this.limits = {
      maxPixels: config.IMAGE_MAX_PIXELS,
      displayMaxSide: config.IMAGE_DISPLAY_MAX_SIDE,
      thumbMaxSide: config.IMAGE_THUMB_MAX_SIDE,
    };
  }

  onModuleInit(): void {
    const sweep = () =>
      this.blobs
        .sweepStaged(STAGED_MAX_AGE_MS)
        .then((n) => n > 0 && this.logger.log({ deleted: n }, 'stale staged uploads deleted'))
        .catch((err: unknown) => this.logger.warn({ err }, 'staged uploads not swept'));
    void sweep();
    this.stopSweeper = periodic(SWEEP_EVERY_MS, () => void sweep());
  }

  beforeApplicationShutdown(): void {
    this.stopSweeper?.();
  }

  async process(events: readonly ImageUploadedEnvelope[]): Promise<void> {
    for (const event of events) await this.processOne(event.payload);
  }

  private async processOne(upload: ImageUploadedEnvelope['payload']): Promise<void> {
    const known = await this.images.find(upload.imageId);
    if (known) {
      await this.blobs.deleteStaged(upload.stagedKey);
      await this.answer(upload.replyTo, {
        outcome: 'ready',
        imageId: upload.imageId,
        image: known,
      });
      return;
    }
    const started = process.hrtime.bigint();
    const result = await this.worker.run(upload.stagedKey, this.limits);
    if (result.outcome === 'failed') throw new Error(`image worker failed: ${result.message}`);
    if (result.outcome === 'gone') {
      // Refused before (its answer went out then), or swept: nothing to keep.
      await this.answer(upload.replyTo, {
        outcome: 'refused',
        imageId: upload.imageId,
        code: 'image_unreadable',
        message: 'the upload is gone; upload it again',
      });
      return;
    }
    if (result.outcome === 'refused' || result.outcome === 'crashed') {
      const refusal =
        result.outcome === 'refused'
          ? { code: result.code, message: result.message }
          : { code: 'image_unreadable' as const, message: 'the image could not be read' };
      await this.blobs.deleteStaged(upload.stagedKey);
      this.logger.log(
        { imageId: upload.imageId, code: refusal.code, outcome: result.outcome },
        'image refused',
      );
      await this.answer(upload.replyTo, {
        outcome: 'refused',
        imageId: upload.imageId,
        ...refusal,
      });
      return;
    }
    const { image } = result;
    const stored = {
      id: upload.imageId,
      uploaderId: upload.uploaderId,
      sourceFormat: image.format,
      width: image.width,
      height: image.height,
      displayKey: image.displayKey,
      displayBytes: image.displayBytes,
      thumbKey: image.thumbKey,
      thumbBytes: image.thumbBytes,
      placeholder: image.placeholder,
    };
    await this.images.insert(stored);
    await this.blobs.deleteStaged(upload.stagedKey);
    this.logger.log(
      {
        imageId: upload.imageId,
        bytes: upload.bytes,
        ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
      },
      'image processed',
    );
    await this.answer(upload.replyTo, {
      outcome: 'ready',
      imageId: upload.imageId,
      image: messageImageOf(stored),
    });
  }

  /**
   * Publishes the answer to the waiting gateway and keeps it readable for as long as any gateway
   * waits: pub/sub keeps nothing, so a gateway whose subscription dropped meanwhile reads it.
   */
  private async answer(gatewayId: string, result: ImageResult): Promise<void> {
    const json = JSON.stringify(result);
    await execOrThrow(
      this.redis
        .multi()
        .set(RedisKeys.imageResult(result.imageId), json, 'PX', IMAGE_RESULT_KEEP_MS)
        .publish(RedisChannels.imageResults(this.config.PARLEY_CLUSTER_ID, gatewayId), json),
    );
  }
}
