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
  UNSENT_IMAGE_TTL_MS,
  periodic,
  type StopPeriodic,
} from '@parley/common';
import type { StorageConfig } from '../config/storage.config';
import { ExpiryRepository } from './expiry.repository';

/** Messages one round expires at most (a backlog takes several rounds, back to back). */
export const EXPIRY_BATCH = 500;

/** Blob deletes a round keeps in flight at once (each is a request to S3, or a file unlinked). */
export const BLOB_DELETES_IN_FLIGHT = 8;

/**
 * Disappearing messages, without a human: every EXPIRY_SWEEP_MS, what expired loses its content
 * (text, image rows, and the blobs no other image shares), in rounds of EXPIRY_BATCH until none
 * is due; then uploads nobody sent within UNSENT_IMAGE_TTL_MS go the same way. Driven by `messages.expires_at` alone, so it survives restarts: what fell due while
 * storage was down goes on its first round back. Idempotent (a tombstone is never taken again;
 * deleting a blob twice is a no-op). Reads never wait for it: history and sync hide what is past
 * its expiry already.
 */
@Injectable()
export class ExpirySweeper implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private stopTimer?: StopPeriodic;
  private running?: Promise<void>;

  constructor(
    private readonly expiry: ExpiryRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: Pick<StorageConfig, 'EXPIRY_SWEEP_MS'>,
  ) {}

  onModuleInit(): void {
    this.stopTimer = periodic(this.config.EXPIRY_SWEEP_MS, () => void this.tick());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopTimer?.();
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.sweep().then(
      () => undefined,
      (err: unknown) => this.logger.warn({ err }, 'expiry round failed; the next round retries'),
    );
    await this.running;
    this.running = undefined;
  }

  /** Rounds until nothing is due; what each deleted. */
  async sweep(): Promise<{ messages: number; images: number; blobs: number }> {
    const expired = await this.sweepExpired();
    const unsent = await this.sweepUnsentImages();
    return {
      messages: expired.messages,
      images: expired.images + unsent.images,
      blobs: expired.blobs + unsent.blobs,
    };
  }

  /** Uploads nobody sent within UNSENT_IMAGE_TTL_MS: rows and blobs, in rounds. */
  private async sweepUnsentImages(): Promise<{ images: number; blobs: number }> {
    const total = { images: 0, blobs: 0 };
    for (;;) {
      const batch = await this.expiry.dropUnsentImages(
        EXPIRY_BATCH,
        UNSENT_IMAGE_TTL_MS,
        ({ blobKeys }) => this.deleteBlobs(blobKeys),
      );
      total.images += batch.imageIds.length;
      total.blobs += batch.blobKeys.length;
      if (batch.examined < EXPIRY_BATCH) break;
    }
    if (total.images > 0) this.logger.log(total, 'unsent images deleted');
    return total;
  }

  private async sweepExpired(): Promise<{ messages: number; images: number; blobs: number }> {
    const total = { messages: 0, images: 0, blobs: 0 };
    for (;;) {
      const batch = await this.expiry.expire(EXPIRY_BATCH, ({ blobKeys }) =>
        this.deleteBlobs(blobKeys),
      );
      total.messages += batch.messages.length;
      total.images += batch.imageIds.length;
      total.blobs += batch.blobKeys.length;
      if (batch.messages.length < EXPIRY_BATCH) break;
    }
    if (total.messages > 0) this.logger.log(total, 'expired messages deleted');
    return total;
  }

  /**
   * Deletes `keys` from the blob store, BLOB_DELETES_IN_FLIGHT at a time (one after another, a
   * batch's 1,000 keys took 1,000 round trips while its transaction waited). Once one fails no
   * new one starts, and it rejects when those in flight settled: the batch's transaction rolls
   * back, and the next round retries it (a blob deleted twice is a no-op).
   */
  private async deleteBlobs(keys: readonly string[]): Promise<void> {
    let next = 0;
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      while (failures.length === 0 && next < keys.length) {
        await this.blobs.delete(keys[next++]).catch((err: unknown) => failures.push(err));
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(BLOB_DELETES_IN_FLIGHT, keys.length) }, worker),
    );
    if (failures.length > 0) throw failures[0];
  }
}
