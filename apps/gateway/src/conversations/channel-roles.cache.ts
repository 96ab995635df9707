import { Injectable } from '@nestjs/common';
import type { MemberRole } from '@parley/protocol';
import { LRUCache } from 'lru-cache';

/** Short-lived, so a change shows within it even if storage's `channel-members` word was missed. */
const ROLES_TTL_MS = 60_000;
const MAX_ENTRIES = 200_000;

type Cached = MemberRole | 'none';

/**
 * This gateway's memory of channel memberships, one (channel, user) at a time: a channel's
 * membership is never loaded whole (a channel may have tens of thousands of members), so a send or
 * a cursor in a channel costs one primary-key look-up per user and minute at most. Which
 * conversations are channels is remembered too (a conversation never changes kind).
 */
@Injectable()
export class ChannelRolesCache {
  private readonly roles = new LRUCache<string, Cached>({ max: MAX_ENTRIES, ttl: ROLES_TTL_MS });
  private readonly channels = new LRUCache<string, true>({ max: MAX_ENTRIES });

  isChannel(conversationId: string): boolean {
    return this.channels.has(conversationId);
  }

  /** The cached role (null: known not to be a member), or undefined on a miss. */
  get(conversationId: string, userId: string): MemberRole | null | undefined {
    const cached = this.roles.get(key(conversationId, userId));
    return cached === 'none' ? null : cached;
  }

  put(conversationId: string, userId: string, role: MemberRole | null): void {
    this.channels.set(conversationId, true);
    this.roles.set(key(conversationId, userId), role ?? 'none');
  }

  /** Every cached role (storage's words may have been missed); which ids are channels stays. */
  forgetAll(): void {
    this.roles.clear();
  }

  /** Storage said these users' membership or role in the channel changed. */
  forget(conversationId: string, userIds: readonly string[]): void {
    for (const userId of userIds) this.roles.delete(key(conversationId, userId));
  }
}

function key(conversationId: string, userId: string): string {
  return `${conversationId}\u0000${userId}`;
}
