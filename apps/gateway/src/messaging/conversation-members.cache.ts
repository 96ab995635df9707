import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

/** Members rarely change (never for 1:1): a day in the cache, refilled from PostgreSQL on miss. */
const MEMBERS_TTL_SECONDS = 24 * 3600;

/** The Redis cache of conversation member sets (`RedisKeys.conversationMembers`). */
@Injectable()
export class ConversationMembersCache {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** The cached members, or null on a miss. */
  async get(conversationId: string): Promise<string[] | null> {
    const members = await this.redis.smembers(RedisKeys.conversationMembers(conversationId));
    return members.length > 0 ? members : null;
  }

  async put(conversationId: string, memberIds: readonly string[]): Promise<void> {
    if (memberIds.length === 0) return;
    const key = RedisKeys.conversationMembers(conversationId);
    await this.redis
      .multi()
      .sadd(key, ...memberIds)
      .expire(key, MEMBERS_TTL_SECONDS)
      .exec();
  }
}
