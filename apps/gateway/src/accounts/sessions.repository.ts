import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

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

  async isEnded(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(RedisKeys.sessionEnded(sessionId))) === 1;
  }
}
