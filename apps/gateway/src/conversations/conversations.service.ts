import { Injectable } from '@nestjs/common';
import type { ConversationView } from '@parley/protocol';
import { MessagingException } from '../errors/messaging.exception';
import { ConversationsReadModel } from '../read-model/conversations.read-model';
import { UserDirectoryRepository } from '../users/user-directory.repository';
import { ConversationMembersCache } from './conversation-members.cache';
import { directPairKey, newConversationId } from './conversation-id';
import { DirectConversationsRepository } from './direct-conversations.repository';
import { DirectLookupCache } from './direct-lookup.cache';

export const CONVERSATION_LIST_LIMIT = 200;

/**
 * Conversations as a member sees them: the membership rule every per-conversation action checks
 * first (a non-member and a missing conversation get the same `forbidden`), find-or-create of 1:1
 * conversations on first contact, and the conversation list.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsReadModel,
    private readonly directs: DirectConversationsRepository,
    private readonly membersCache: ConversationMembersCache,
    private readonly users: UserDirectoryRepository,
    private readonly lookups: DirectLookupCache,
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

  /**
   * The last seq `userId` may read: the conversation's end for a member (undefined), the event
   * that ended the membership for a former member; forbidden for anyone else.
   */
  async requireReader(conversationId: string, userId: string): Promise<number | undefined> {
    try {
      await this.requireMember(conversationId, userId);
      return undefined;
    } catch (err) {
      if (!(err instanceof MessagingException)) throw err;
      const leftAt = await this.conversations.leftAt(conversationId, userId);
      if (leftAt === null) throw err;
      return leftAt;
    }
  }

  /**
   * The seqs `userId` may read (history): from its first readable seq (a member added to a group
   * that shows the history from joining reads from that event), up to the end for a member or the
   * event that ended the membership for a former member; forbidden for anyone else. Read from
   * PostgreSQL, not the members cache: the cache holds no ranges.
   */
  async requireReadableRange(
    conversationId: string,
    userId: string,
  ): Promise<{ fromSeq: number; untilSeq: number | undefined }> {
    const range = await this.conversations.readableRange(conversationId, userId);
    if (!range) throw MessagingException.forbidden();
    return range;
  }

  /** Drops conversations whose members changed from this gateway's cache (storage said so). */
  forgetMembers(conversationIds: readonly string[]): void {
    this.membersCache.forget(conversationIds);
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
    let conversationId = await this.directs.findByPairKey(pairKey);
    if (!conversationId) {
      conversationId = await this.directs.create(newConversationId(members), pairKey, members);
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
    const byConversation = new Map<string, ConversationView['members']>();
    for (const m of members) {
      const list = byConversation.get(m.conversationId) ?? [];
      list.push({
        id: m.id,
        username: m.username,
        role: m.role,
        deliveredSeq: m.deliveredSeq,
        readSeq: m.readSeq,
      });
      byConversation.set(m.conversationId, list);
    }
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      title: r.title,
      history: r.history,
      active: r.active,
      members: byConversation.get(r.id) ?? [],
      lastMessage: r.lastMessage,
      fromSeq: r.fromSeq,
      lastSeq: r.lastSeq,
      readSeq: r.readSeq,
      unread: r.unread,
    }));
  }
}
