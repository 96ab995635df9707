import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  DeliveryBatch,
  type GatewayControl,
  REDIS,
  RedisChannels,
  RedisKeys,
} from '@parley/common';
import Redis from 'ioredis';
import type { StorageConfig } from '../config/storage.config';

/** What a commit tells every box about channels. */
export interface ChannelFanout {
  /** The channels' messages, for every box (RedisChannels.channelDeliveries). */
  channels?: DeliveryBatch | null;
  /** Channel memberships and roles that changed (RedisChannels.gatewayControl). */
  channelChanges?: readonly {
    conversationId: string;
    joined: string[];
    left: string[];
    roles: string[];
  }[];
}

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

  /**
   * `membersChanged`: conversations whose membership a group change moved. Their Redis member
   * sets are deleted and every gateway is told to drop its own copy (RedisChannels.gatewayControl)
   * in the same pipeline, before the deliveries: a gateway learns of the change at once instead
   * of after its cache's 60 s (storage refuses a removed member's send either way). Channel
   * membership changes go first, on the same broadcast channel, then the channels' messages on
   * theirs (one publish for every box), then each box's own batch.
   */
  async publish(
    batches: ReadonlyMap<string, DeliveryBatch>,
    membersChanged: readonly string[] = [],
    { channels = null, channelChanges = [] }: ChannelFanout = {},
  ): Promise<void> {
    if (
      batches.size === 0 &&
      membersChanged.length === 0 &&
      !channels &&
      channelChanges.length === 0
    ) {
      return;
    }
    const pipeline = this.redis.pipeline();
    const control = RedisChannels.gatewayControl(this.config.PARLEY_CLUSTER_ID);
    for (const change of channelChanges) {
      const message: GatewayControl = { version: 1, action: 'channel-members', ...change };
      pipeline.publish(control, JSON.stringify(message));
    }
    if (membersChanged.length > 0) {
      pipeline.del(...membersChanged.map((id) => RedisKeys.conversationMembers(id)));
      const message: GatewayControl = {
        version: 1,
        action: 'members-changed',
        conversationIds: [...membersChanged],
      };
      pipeline.publish(control, JSON.stringify(message));
    }
    if (channels) {
      pipeline.publish(
        RedisChannels.channelDeliveries(this.config.PARLEY_CLUSTER_ID),
        JSON.stringify(channels),
      );
    }
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
