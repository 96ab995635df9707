import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

/**
 * How long past an access token's lifetime a session's end is kept: clock skew between the
 * gateway that signed a token and the one that checks it.
 */
export const ENDED_SESSION_SLACK_SECONDS = 60;

/**
 * Ended log-in sessions, in Redis, for as long as any access token of theirs could still be
 * unexpired: every gateway refuses those tokens (HTTP and socket renewal) at once, instead of when
 * they expire.
 */
@Injectable()
export class SessionsRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async markEnded(sessionId: string, forSeconds: number): Promise<void> {
    await this.redis.set(RedisKeys.sessionEnded(sessionId), '1', 'EX', forSeconds);
  }

  /** Several at once, each for its own time (one round trip). */
  async markEndedMany(ended: readonly { sessionId: string; forSeconds: number }[]): Promise<void> {
    if (ended.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { sessionId, forSeconds } of ended) {
      pipeline.set(RedisKeys.sessionEnded(sessionId), '1', 'EX', forSeconds);
    }
    for (const [err] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
    }
  }

  async isEnded(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(RedisKeys.sessionEnded(sessionId))) === 1;
  }

  /** Which of these sessions have ended, in one round trip. */
  async endedAmong(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds) pipeline.exists(RedisKeys.sessionEnded(id));
    const results = (await pipeline.exec()) ?? [];
    const ended = new Set<string>();
    results.forEach(([err, exists], i) => {
      if (err) throw err;
      if (exists === 1) ended.add(sessionIds[i]);
    });
    return ended;
  }
}
