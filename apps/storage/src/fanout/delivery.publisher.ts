import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  DeliveryBatch,
  type GatewayControl,
  REDIS,
  RedisChannels,
  RedisKeys,
} from '@parley/common';
import Redis, { type ChainableCommander } from 'ioredis';
import type { StorageConfig } from '../config/storage.config';
import type { RouteCheck } from './route-memory';

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
 * The boxes' batches published only if the routes they were planned with still hold (RouteCheck):
 * KEYS are the users' socket hashes, then the gateways' directory keys; ARGV the number of each,
 * then per user the length and entries of its hash's flat field/value list as the plan read it,
 * then channel/payload pairs. Answers 1 once it has published, 0 (having published nothing) when
 * a hash or a gateway moved. One script call, so the check and the publishes are one step in
 * Redis: nothing moves between them.
 */
const PUBLISH_ROUTED_SCRIPT = `
local users = tonumber(ARGV[1])
local gateways = tonumber(ARGV[2])
local a = 3
for i = 1, users do
  local held = redis.call('HGETALL', KEYS[i])
  local n = tonumber(ARGV[a])
  if #held ~= n then return 0 end
  for j = 1, n do
    if held[j] ~= ARGV[a + j] then return 0 end
  end
  a = a + n + 1
end
for i = users + 1, users + gateways do
  if redis.call('EXISTS', KEYS[i]) == 0 then return 0 end
end
while a < #ARGV do
  redis.call('PUBLISH', ARGV[a], ARGV[a + 1])
  a = a + 2
end
return 1`;

interface PublishRoutedScript {
  parleyPublishRouted(numKeys: number, ...keysThenArgs: (string | number)[]): ChainableCommander;
}

/**
 * The last hop: one PUBLISH per gateway box on its delivery channel, all in one pipeline. Pub/sub
 * is fire-and-forget by design (the message is already durable; a device that misses a push
 * catches up from its delivered cursor).
 */
@Injectable()
export class DeliveryPublisher {
  private scriptDefined = false;

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
   *
   * `routes`: the boxes' batches were planned with remembered routes (RouteMemory); they go in
   * the same pipeline through one script that publishes them only if those routes still hold.
   * Resolves false when they did not: everything else went, the boxes' batches did not (the caller
   * looks the routes up and publishes them again, without `routes`). Otherwise true.
   */
  async publish(
    batches: ReadonlyMap<string, DeliveryBatch>,
    membersChanged: readonly string[] = [],
    { channels = null, channelChanges = [] }: ChannelFanout = {},
    routes?: RouteCheck,
  ): Promise<boolean> {
    if (
      batches.size === 0 &&
      membersChanged.length === 0 &&
      !channels &&
      channelChanges.length === 0
    ) {
      return true;
    }
    const routed = routes && batches.size > 0;
    if (routed && !this.scriptDefined) {
      // Before the pipeline is made: a pipeline knows the scripts defined when it was made.
      this.redis.defineCommand('parleyPublishRouted', { lua: PUBLISH_ROUTED_SCRIPT });
      this.scriptDefined = true;
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
    if (routed) {
      this.publishRouted(pipeline, batches, routes);
    } else {
      for (const [gatewayId, batch] of batches) {
        pipeline.publish(
          RedisChannels.delivery(this.config.PARLEY_CLUSTER_ID, gatewayId),
          JSON.stringify(batch),
        );
      }
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis pipeline aborted');
    return !routed || results[results.length - 1][1] === 1;
  }

  /** The boxes' batches as one PUBLISH_ROUTED_SCRIPT call, last in the pipeline. */
  private publishRouted(
    pipeline: ChainableCommander,
    batches: ReadonlyMap<string, DeliveryBatch>,
    { users, gateways }: RouteCheck,
  ): void {
    const args: (string | number)[] = [
      ...users.map((u) => RedisKeys.userConnections(u.userId)),
      ...gateways.map((id) => RedisKeys.gateway(id)),
      users.length,
      gateways.length,
    ];
    for (const { held } of users) args.push(held.length, ...held);
    for (const [gatewayId, batch] of batches) {
      args.push(
        RedisChannels.delivery(this.config.PARLEY_CLUSTER_ID, gatewayId),
        JSON.stringify(batch),
      );
    }
    (pipeline as ChainableCommander & PublishRoutedScript).parleyPublishRouted(
      users.length + gateways.length,
      ...args,
    );
  }
}
