import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';
import { z } from 'zod';

export interface DirectoryEntry {
  gatewayId: string;
  publicUrl: string;
  connections: number;
}

const entrySchema = z.object({
  gatewayId: z.string().min(1),
  publicUrl: z.string().regex(/^wss?:\/\//),
  connections: z.number().int().min(0),
});

/**
 * Reads the live-gateway directory session maintains from heartbeats: `gatewaysByLoad` (ids by
 * connection count) and `gateway(id)` (JSON with a TTL). An id whose key has expired is not live
 * and is skipped (session prunes the index).
 */
@Injectable()
export class GatewayDirectoryRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async live(): Promise<DirectoryEntry[]> {
    const ids = await this.redis.zrange(RedisKeys.gatewaysByLoad, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => RedisKeys.gateway(id)));
    const live: DirectoryEntry[] = [];
    for (const value of values) {
      if (value === null) continue;
      try {
        const parsed = entrySchema.safeParse(JSON.parse(value));
        if (parsed.success) live.push(parsed.data);
      } catch {
        // A corrupt entry is not a live gateway.
      }
    }
    return live;
  }
}
