import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DeliveryBatch, REDIS, RedisChannels } from '@parley/common';
import Redis from 'ioredis';
import type { StorageConfig } from '../config/storage.config';

/**
 * The last hop: one PUBLISH per gateway box on its delivery channel, all in one pipeline. Pub/sub
 * is fire-and-forget by design (the message is already durable; a device that misses a push
 * catches up from its delivered cursor).
 */
@Injectable()
export class DeliveryPublisher {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: Pick<StorageConfig, 'PARLEY_CLUSTER_ID'>,
  ) {}

  async publish(batches: ReadonlyMap<string, DeliveryBatch>): Promise<void> {
    if (batches.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [gatewayId, batch] of batches) {
      pipeline.publish(
        RedisChannels.delivery(this.config.PARLEY_CLUSTER_ID, gatewayId),
        JSON.stringify(batch),
      );
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis pipeline aborted');
  }
}
