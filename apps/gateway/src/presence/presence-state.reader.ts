import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';

export interface PresenceState {
  online: boolean;
  lastSeenAt: string | null;
}

/**
 * Users' presence as the presence service keeps it: the live state in Redis (`RedisKeys.presence`:
 * online, last seen), and for a user Redis holds nothing of (not seen since Redis was emptied)
 * the last seen presence wrote to PostgreSQL (`user_presence`). One pipeline, and one query only
 * for the users Redis lacks.
 */
@Injectable()
export class PresenceStateReader {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async read(userIds: readonly string[]): Promise<Map<string, PresenceState>> {
    const states = new Map<string, PresenceState>();
    if (userIds.length === 0) return states;
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.hmget(RedisKeys.presence(id), 'online', 'seen');
    const results = (await pipeline.exec()) ?? [];
    const missing: string[] = [];
    userIds.forEach((userId, i) => {
      const [err, value] = results[i] ?? [new Error('Redis pipeline aborted'), null];
      if (err) throw err;
      const [online, seen] = value as [string | null, string | null];
      if (seen === null) {
        missing.push(userId);
        states.set(userId, { online: online === '1', lastSeenAt: null });
        return;
      }
      states.set(userId, {
        online: online === '1',
        lastSeenAt: new Date(Number(seen)).toISOString(),
      });
    });
    if (missing.length > 0) {
      const rows = await this.dataSource.query<{ user_id: string; last_seen_at: Date }[]>(
        `SELECT user_id, last_seen_at FROM user_presence WHERE user_id = ANY($1::uuid[])`,
        [missing],
      );
      for (const row of rows) {
        const state = states.get(row.user_id);
        if (state) state.lastSeenAt = new Date(row.last_seen_at).toISOString();
      }
    }
    return states;
  }
}
