import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';

/** Members rarely change (never for 1:1): a day in Redis, refilled from PostgreSQL on miss. */
const MEMBERS_TTL_SECONDS = 24 * 3600;
/**
 * This process's copy: bounded, and short-lived, so a membership change shows within it even if
 * storage's `members-changed` broadcast was missed.
 */
const LOCAL_MEMBERS_TTL_MS = 60_000;
const LOCAL_MAX_CONVERSATIONS = 100_000;

/**
 * The cache of conversation member sets, in two levels: this gateway's memory (checked on every
 * send, so a send costs no round trip) in front of Redis (`RedisKeys.conversationMembers`, shared
 * by every gateway). Losing either level only costs a look-up; PostgreSQL stays the record.
 */
@Injectable()
export class ConversationMembersCache {
  private readonly local = new LRUCache<string, readonly string[]>({
    max: LOCAL_MAX_CONVERSATIONS,
    ttl: LOCAL_MEMBERS_TTL_MS,
  });

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** The cached members, or null on a miss. */
  async get(conversationId: string): Promise<readonly string[] | null> {
    const local = this.local.get(conversationId);
    if (local) return local;
    const members = await this.redis.smembers(RedisKeys.conversationMembers(conversationId));
    if (members.length === 0) return null;
    this.local.set(conversationId, members);
    return members;
  }

  /** This process's copies only: storage deleted the Redis copies when it told us. */
  forget(conversationIds: readonly string[]): void {
    for (const id of conversationIds) this.local.delete(id);
  }

  /** Every copy of this process's (storage's words may have been missed); Redis's stay. */
  forgetAll(): void {
    this.local.clear();
  }

  async put(conversationId: string, memberIds: readonly string[]): Promise<void> {
    if (memberIds.length === 0) return;
    this.local.set(conversationId, [...memberIds]);
    const key = RedisKeys.conversationMembers(conversationId);
    await this.redis
      .multi()
      .sadd(key, ...memberIds)
      .expire(key, MEMBERS_TTL_SECONDS)
      .exec();
  }
}
