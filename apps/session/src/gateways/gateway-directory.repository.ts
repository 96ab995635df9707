import { Inject, Injectable } from '@nestjs/common';
import { LiveGateway, liveGatewaySchema, parseRedisValue, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

export type { LiveGateway };

/** A gateway's entry refreshed, or removed (its last beat said it was leaving). */
export type GatewayUpdate =
  | {
      leaving: false;
      gateway: LiveGateway;
      /** Milliseconds the entry stays valid (about 2 missed heartbeats after `lastHeartbeatAt`). */
      ttlMs: number;
    }
  | { leaving: true; gatewayId: string };

/**
 * The live-gateway table in Redis, written here and read by the gateways (keys and the value
 * schema, `liveGatewaySchema`, in libs/common's redis-values), two structures:
 *  - `gateway:<id>`: the gateway's JSON with a TTL. Liveness lives here: a gateway that misses
 *    about 2 heartbeats simply expires; one that shuts down cleanly is removed at once.
 *  - `gateways:by-load`: a sorted set of gateway ids scored by connection count, the index
 *    that lists the least-loaded first. Ids whose key has expired are removed lazily on read.
 */
@Injectable()
export class GatewayDirectoryRepository {
  static readonly LOAD_INDEX = RedisKeys.gatewaysByLoad;
  static key(gatewayId: string): string {
    return RedisKeys.gateway(gatewayId);
  }

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Applies all updates atomically (MULTI); resolves once Redis has them. */
  async apply(updates: readonly GatewayUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const tx = this.redis.multi();
    for (const update of updates) {
      if (update.leaving) {
        tx.del(GatewayDirectoryRepository.key(update.gatewayId));
        tx.zrem(GatewayDirectoryRepository.LOAD_INDEX, update.gatewayId);
        continue;
      }
      const { gateway, ttlMs } = update;
      tx.set(
        GatewayDirectoryRepository.key(gateway.gatewayId),
        JSON.stringify(gateway),
        'PX',
        ttlMs,
      );
      tx.zadd(GatewayDirectoryRepository.LOAD_INDEX, gateway.connections, gateway.gatewayId);
    }
    const results = await tx.exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
  }

  /** Live gateways, least loaded first (ties by id). */
  async listByLoad(): Promise<LiveGateway[]> {
    const ids = await this.redis.zrange(GatewayDirectoryRepository.LOAD_INDEX, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => GatewayDirectoryRepository.key(id)));
    const live: LiveGateway[] = [];
    const expired: string[] = [];
    values.forEach((value, i) => {
      const entry = parseRedisValue(liveGatewaySchema, value);
      if (entry) live.push(entry);
      else expired.push(ids[i]);
    });
    if (expired.length > 0) await this.forgetIfStillExpired(expired);
    return live;
  }

  /** Drops index entries whose key is gone, unless a heartbeat re-created it meanwhile. */
  private async forgetIfStillExpired(ids: string[]): Promise<void> {
    for (const id of ids) {
      await this.redis.eval(
        `if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('ZREM', KEYS[2], ARGV[1]) end return 0`,
        2,
        GatewayDirectoryRepository.key(id),
        GatewayDirectoryRepository.LOAD_INDEX,
        id,
      );
    }
  }
}
