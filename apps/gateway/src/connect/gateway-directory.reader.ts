import { Inject, Injectable } from '@nestjs/common';
import { liveGatewaySchema, parseRedisValue, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

export interface DirectoryEntry {
  gatewayId: string;
  publicUrl: string;
  connections: number;
}

/**
 * Reads the live-gateway directory session maintains from heartbeats (its writer is session's
 * GatewayDirectoryReader; the value schema is `liveGatewaySchema`): `gatewaysByLoad` (ids by
 * connection count) and `gateway(id)` (JSON with a TTL). An id whose key has expired is not live
 * and is skipped (session prunes the index). The load is the index's score: each heartbeat resets
 * it to the gateway's real count, and every ticket issued in between reserves one more, so a burst
 * of connects spreads over the gateways instead of all going to whichever was least loaded at
 * the last heartbeat.
 */
@Injectable()
export class GatewayDirectoryReader {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async live(): Promise<DirectoryEntry[]> {
    const flat = await this.redis.zrange(RedisKeys.gatewaysByLoad, 0, -1, 'WITHSCORES');
    if (flat.length === 0) return [];
    const ids: string[] = [];
    const load = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) {
      ids.push(flat[i]);
      load.set(flat[i], Number(flat[i + 1]));
    }
    const values = await this.redis.mget(ids.map((id) => RedisKeys.gateway(id)));
    const live: DirectoryEntry[] = [];
    for (const value of values) {
      // An expired or corrupt entry is not a live gateway.
      const entry = parseRedisValue(liveGatewaySchema, value);
      if (!entry) continue;
      const reserved = load.get(entry.gatewayId);
      live.push({
        gatewayId: entry.gatewayId,
        publicUrl: entry.publicUrl,
        connections: Math.max(entry.connections, reserved ?? 0),
      });
    }
    return live;
  }

  /** Counts a connection about to be made to `gatewayId` until its next heartbeat says the truth. */
  async reserve(gatewayId: string): Promise<void> {
    await this.redis.zincrby(RedisKeys.gatewaysByLoad, 1, gatewayId);
  }
}
