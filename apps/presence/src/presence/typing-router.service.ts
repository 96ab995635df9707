import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  type DeliveryBatch,
  DeliveryRouter,
  REDIS,
  RedisChannels,
} from '@parley/common';
import { TYPING_TTL_MS } from '@parley/protocol';
import Redis from 'ioredis';
import type { PresenceConfig } from '../config/presence.config';
import type { TypingEventEnvelope } from './presence-events';

type TypingEntry = NonNullable<DeliveryBatch['typing']>[number];

/**
 * Typing signals to the other members' sockets: a signal older than TYPING_MAX_DELAY_MS is
 * dropped (late typing is wrong typing); the rest are routed like messages (DeliveryRouter: one
 * Redis look-up for every recipient of the batch) and go as the `typing` entries of one
 * DeliveryBatch per gateway box, in one pipeline. Nothing is stored; a failed publish is dropped.
 */
@Injectable()
export class TypingRouterService {
  constructor(
    private readonly router: DeliveryRouter,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG)
    private readonly config: Pick<PresenceConfig, 'PARLEY_CLUSTER_ID' | 'TYPING_MAX_DELAY_MS'>,
  ) {}

  async route(
    events: readonly TypingEventEnvelope[],
    now = Date.now(),
  ): Promise<{ routed: number; late: number }> {
    const fresh = events.filter(
      (e) => now - Date.parse(e.payload.at) <= this.config.TYPING_MAX_DELAY_MS,
    );
    if (fresh.length === 0) return { routed: 0, late: events.length };
    const recipients = [...new Set(fresh.flatMap((e) => e.payload.recipientIds))];
    const { routable } = await this.router.route(recipients);
    const batches = new Map<string, TypingEntry[]>();
    for (const { payload } of fresh) {
      const perGateway = new Map<string, string[]>();
      for (const userId of payload.recipientIds) {
        for (const socket of routable.get(userId) ?? []) {
          const ids = perGateway.get(socket.gatewayId) ?? [];
          ids.push(socket.connectionId);
          perGateway.set(socket.gatewayId, ids);
        }
      }
      const expiresAt = new Date(Date.parse(payload.at) + TYPING_TTL_MS).toISOString();
      for (const [gatewayId, connectionIds] of perGateway) {
        const entries = batches.get(gatewayId) ?? [];
        entries.push({
          conversationId: payload.conversationId,
          userId: payload.userId,
          username: payload.username,
          expiresAt,
          connectionIds,
        });
        batches.set(gatewayId, entries);
      }
    }
    if (batches.size > 0) {
      const pipeline = this.redis.pipeline();
      for (const [gatewayId, typing] of batches) {
        const batch: DeliveryBatch = { version: 1, items: [], typing };
        pipeline.publish(
          RedisChannels.delivery(this.config.PARLEY_CLUSTER_ID, gatewayId),
          JSON.stringify(batch),
        );
      }
      await pipeline.exec();
    }
    return { routed: fresh.length, late: events.length - fresh.length };
  }
}
