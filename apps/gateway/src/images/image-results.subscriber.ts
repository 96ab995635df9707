import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import {
  APP_CONFIG,
  type ImageResult,
  imageResultSchema,
  REDIS,
  RedisChannels,
  RedisKeys,
} from '@parley/common';
import Redis from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';
import { RedisSubscription } from '../realtime/redis-subscription';

/** One upload waiting for storage's answer. */
export interface PendingImage {
  /** Storage's answer, or undefined when none came within the timeout (or it was cancelled). */
  result: Promise<ImageResult | undefined>;
  cancel(): void;
}

/**
 * This box's ears for storage's answers to its uploads: one Redis channel
 * (`RedisChannels.imageResults(GATEWAY_ID)`) and the uploads waiting on it, by image id. An
 * answer nobody waits for (its request timed out or closed) is dropped; an invalid one is logged
 * and dropped. Storage also keeps each answer a while (`RedisKeys.imageResult`): when the
 * subscription comes back after a lost connection, the uploads still waiting read theirs there.
 */
@Injectable()
export class ImageResultsSubscriber implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ImageResultsSubscriber.name);
  private readonly waiting = new Map<string, (result: ImageResult | undefined) => void>();
  private subscription?: RedisSubscription;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG)
    private readonly config: Pick<GatewayConfig, 'PARLEY_CLUSTER_ID' | 'GATEWAY_ID'>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = new RedisSubscription(
      this.redis,
      RedisChannels.imageResults(this.config.PARLEY_CLUSTER_ID, this.config.GATEWAY_ID),
      (payload) => this.receive(payload),
      this.logger,
      () => void this.readMissed(),
    );
    await this.subscription.open();
  }

  beforeApplicationShutdown(): void {
    for (const settle of this.waiting.values()) settle(undefined);
    this.waiting.clear();
    this.subscription?.close();
  }

  /** Uploads waiting now (the upload step bounds them). */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Starts waiting for `imageId`'s answer: call before publishing the upload. */
  wait(imageId: string, timeoutMs: number): PendingImage {
    let settle: (result: ImageResult | undefined) => void = () => undefined;
    const result = new Promise<ImageResult | undefined>((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      settle = (value) => {
        clearTimeout(timer);
        this.waiting.delete(imageId);
        resolve(value);
      };
    });
    this.waiting.set(imageId, settle);
    return { result, cancel: () => settle(undefined) };
  }

  /**
   * After the subscription was down: the answers storage published meanwhile never came, so each
   * upload still waiting reads its own where storage keeps it. Those not answered yet wait on.
   */
  async readMissed(): Promise<void> {
    const imageIds = [...this.waiting.keys()];
    if (imageIds.length === 0) return;
    try {
      const kept = await this.redis.mget(imageIds.map((id) => RedisKeys.imageResult(id)));
      const found = kept.filter((payload): payload is string => payload !== null);
      if (found.length > 0) {
        this.logger.warn({ answers: found.length }, 'image answers missed while unsubscribed read');
      }
      for (const payload of found) this.receive(payload);
    } catch (err) {
      // Those uploads time out as any unanswered upload does.
      this.logger.warn({ err }, 'missed image answers not read');
    }
  }

  private receive(payload: string): void {
    let parsed: ReturnType<typeof imageResultSchema.safeParse>;
    try {
      parsed = imageResultSchema.safeParse(JSON.parse(payload));
    } catch {
      this.logger.warn('image result is not JSON; dropped');
      return;
    }
    if (!parsed.success) {
      this.logger.warn('invalid image result dropped');
      return;
    }
    this.waiting.get(parsed.data.imageId)?.(parsed.data);
  }
}
