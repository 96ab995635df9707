import { Injectable } from '@nestjs/common';
import type { DeliveredMessage } from '@parley/common';
import { UserDirectoryRepository } from '../users/user-directory.repository';
import { ConversationMembersCache } from './conversation-members.cache';
import { directPairKey, newConversationId } from './conversation-id';
import { DirectLookupCache } from './direct-lookup.cache';
import { KnownSeqCache } from './known-seq.cache';
import { ConversationsRepository } from './conversations.repository';
import { MessagesRepository } from './messages.repository';
import { MessagingEventsPublisher } from './messaging-events.publisher';
import { MessagingException } from './messaging.exception';

export const HISTORY_DEFAULT_LIMIT = 10;
export const HISTORY_MAX_LIMIT = 100;
export const CONVERSATION_LIST_LIMIT = 200;

export interface ConversationView {
  id: string;
  kind: string;
  members: { id: string; username: string }[];
  lastMessage: DeliveredMessage | null;
  lastSeq: number;
  readSeq: number;
  unread: number;
}

export interface HistoryPage {
  conversationId: string;
  /** Ascending seq. */
  messages: DeliveredMessage[];
  hasMore: boolean;
}

/**
 * Conversations as a member sees them: find-or-create of 1:1 conversations, the membership rule
 * (every per-conversation action checks it first; a non-member and a missing conversation get
 * the same `forbidden`), the list, history pages and cursor moves.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly membersCache: ConversationMembersCache,
    private readonly users: UserDirectoryRepository,
    private readonly events: MessagingEventsPublisher,
    private readonly lookups: DirectLookupCache,
    private readonly knownSeqs: KnownSeqCache,
  ) {}

  /** The conversation's members (cache first, PostgreSQL on a miss); forbidden unless `userId` is one. */
  async requireMember(conversationId: string, userId: string): Promise<readonly string[]> {
    let members = await this.membersCache.get(conversationId);
    if (!members) {
      members = await this.conversations.memberIds(conversationId);
      if (members.length > 0) await this.membersCache.put(conversationId, members);
    }
    if (!members.includes(userId)) throw MessagingException.forbidden();
    return members;
  }

  /** The 1:1 conversation between `userId` and the user named `username`, created on first contact. */
  async findOrCreateDirect(
    userId: string,
    username: string,
    field = 'to',
  ): Promise<{ conversationId: string; peerId: string }> {
    const peerId = await this.userIdOf(username);
    if (!peerId) throw MessagingException.unknownUser(field);
    if (peerId === userId) throw MessagingException.invalid(field, 'cannot message yourself');
    const pairKey = directPairKey(userId, peerId);
    const known = this.lookups.directConversations.get(pairKey);
    if (known) return { conversationId: known, peerId };
    const members = [userId, peerId];
    let conversationId = await this.conversations.findDirectByPairKey(pairKey);
    if (!conversationId) {
      conversationId = await this.conversations.createDirect(
        newConversationId(members),
        pairKey,
        members,
      );
    }
    await this.membersCache.put(conversationId, members);
    this.lookups.directConversations.set(pairKey, conversationId);
    return { conversationId, peerId };
  }

  private async userIdOf(username: string): Promise<string | null> {
    const key = username.toLowerCase();
    const cached = this.lookups.userIds.get(key);
    if (cached) return cached;
    const user = await this.users.findByUsername(username);
    if (user) this.lookups.userIds.set(key, user.id);
    return user?.id ?? null;
  }

  list(userId: string): Promise<ConversationView[]> {
    return this.views(userId);
  }

  /** One conversation as `userId` (a member) sees it. */
  async view(userId: string, conversationId: string): Promise<ConversationView> {
    const [view] = await this.views(userId, conversationId);
    if (!view) throw MessagingException.forbidden();
    return view;
  }

  private async views(userId: string, onlyId?: string): Promise<ConversationView[]> {
    const rows = await this.conversations.listForUser(userId, CONVERSATION_LIST_LIMIT, onlyId);
    const members = await this.conversations.membersOf(rows.map((r) => r.id));
    const byConversation = new Map<string, { id: string; username: string }[]>();
    for (const m of members) {
      const list = byConversation.get(m.conversationId) ?? [];
      list.push({ id: m.id, username: m.username });
      byConversation.set(m.conversationId, list);
    }
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      members: byConversation.get(r.id) ?? [],
      lastMessage: r.lastMessage,
      lastSeq: r.lastSeq,
      readSeq: r.readSeq,
      unread: r.unread,
    }));
  }

  /** The `limit` messages before `beforeSeq` (or the latest), ascending; members only. */
  async history(
    userId: string,
    conversationId: string,
    beforeSeq: number | undefined,
    limit: number = HISTORY_DEFAULT_LIMIT,
  ): Promise<HistoryPage> {
    await this.requireMember(conversationId, userId);
    const pageSize = Math.min(Math.max(limit, 1), HISTORY_MAX_LIMIT);
    const rows = await this.messages.latestBefore(conversationId, beforeSeq, pageSize + 1);
    const hasMore = rows.length > pageSize;
    return { conversationId, messages: rows.slice(0, pageSize).reverse(), hasMore };
  }

  /** Moves the member's read cursor (through Kafka -> storage); members only. */
  async markRead(
    userId: string,
    conversationId: string,
    seq: number,
    correlationId?: string,
  ): Promise<void> {
    await this.requireMember(conversationId, userId);
    await this.requireKnownSeq(conversationId, seq);
    await this.events.read(
      { conversationId, userId, seq, at: new Date().toISOString() },
      correlationId,
    );
  }

  /** Moves this device's delivered cursor (through Kafka -> storage); members only. */
  async markDelivered(
    userId: string,
    deviceId: string,
    conversationId: string,
    seq: number,
    correlationId?: string,
  ): Promise<void> {
    await this.requireMember(conversationId, userId);
    await this.requireKnownSeq(conversationId, seq);
    await this.events.delivered(
      { conversationId, userId, deviceId, seq, at: new Date().toISOString() },
      correlationId,
    );
  }

  /** A cursor may not run ahead of the conversation (it would hide messages not yet sent). */
  private async requireKnownSeq(conversationId: string, seq: number): Promise<void> {
    if (this.knownSeqs.covers(conversationId, seq)) return;
    const lastSeq = await this.conversations.lastSeq(conversationId);
    if (lastSeq === null) throw MessagingException.forbidden();
    this.knownSeqs.observe(conversationId, lastSeq);
    if (seq > lastSeq) throw MessagingException.invalid('seq', 'is past the last message');
  }
}
