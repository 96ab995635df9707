import { Injectable } from '@nestjs/common';
import {
  CHANNEL_KIND,
  CHANNEL_LIST_LIMIT,
  type ConversationView,
  type MemberRole,
} from '@parley/protocol';
import { MessagingException } from '../errors/messaging.exception';
import { type ChannelRow, ConversationsReadModel } from '../read-model/conversations.read-model';
import { ChannelRolesCache } from './channel-roles.cache';
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
    private readonly channelRoles: ChannelRolesCache,
  ) {}

  /** Forbidden unless `userId` is a current member (caches first, PostgreSQL on a miss). */
  async requireMember(conversationId: string, userId: string): Promise<void> {
    const { role } = await this.membership(conversationId, userId);
    if (!role) throw MessagingException.forbidden();
  }

  /**
   * Forbidden unless `userId` may post: any member, but in a channel only an admin. (Storage
   * decides again in the conversation's order; this spares Kafka what it would refuse.)
   */
  async requirePoster(conversationId: string, userId: string): Promise<void> {
    const { channel, role } = await this.membership(conversationId, userId);
    if (!role) throw MessagingException.forbidden();
    if (channel && role !== 'admin') {
      throw MessagingException.notAnAdmin();
    }
  }

  /**
   * The other current members of a group or 1:1 conversation `userId` is a member of (whom its
   * typing is shown to). Forbidden for anyone else; refused for a channel (nobody is shown typing
   * to a channel's members).
   */
  async otherMembers(conversationId: string, userId: string): Promise<readonly string[]> {
    const { channel, role } = await this.membership(conversationId, userId);
    if (!role) throw MessagingException.forbidden();
    if (channel) throw MessagingException.invalid('conversationId', 'a channel shows no typing');
    const members =
      (await this.membersCache.get(conversationId)) ??
      (await this.conversations.membership(conversationId, userId))?.memberIds ??
      [];
    return members.filter((id) => id !== userId);
  }

  /**
   * `userId`'s role (null unless a current member) and whether the conversation is a channel. A
   * group or 1:1 conversation's members are cached whole; a channel's one user at a time.
   */
  private async membership(
    conversationId: string,
    userId: string,
  ): Promise<{ channel: boolean; role: MemberRole | null }> {
    if (this.channelRoles.isChannel(conversationId)) {
      const role = this.channelRoles.get(conversationId, userId);
      if (role !== undefined) return { channel: true, role };
    } else {
      const members = await this.membersCache.get(conversationId);
      if (members) return { channel: false, role: members.includes(userId) ? 'member' : null };
    }
    const found = await this.conversations.membership(conversationId, userId);
    if (!found) return { channel: false, role: null };
    if (found.kind === CHANNEL_KIND) {
      this.channelRoles.put(conversationId, userId, found.role);
      return { channel: true, role: found.role };
    }
    if (found.memberIds.length > 0) await this.membersCache.put(conversationId, found.memberIds);
    return { channel: false, role: found.memberIds.includes(userId) ? 'member' : null };
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
      const range = await this.conversations.readableRange(conversationId, userId);
      if (range?.untilSeq === undefined) throw err;
      return range.untilSeq;
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

  /** Drops what this gateway cached of these users in the channel (storage said they changed). */
  forgetChannelMembers(conversationId: string, userIds: readonly string[]): void {
    this.channelRoles.forget(conversationId, userIds);
  }

  /**
   * This gateway's control channel had a gap, so storage's words of member changes may have been
   * missed: every member set and channel role this process holds is read again on its next use.
   */
  forgetAllMembers(): void {
    this.membersCache.forgetAll();
    this.channelRoles.forgetAll();
  }

  /** Public channels, the most members first (`q`: a part of the name). */
  publicChannels(userId: string, q: string | undefined): Promise<ChannelRow[]> {
    return this.conversations.publicChannels(userId, q, CHANNEL_LIST_LIMIT);
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
    const conversationId = await this.directs.findOrCreate(
      newConversationId(members),
      pairKey,
      members,
    );
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
    const members = await this.conversations.membersOf(
      rows.map((r) => r.id),
      userId,
    );
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
      public: r.public,
      memberCount: r.memberCount,
      history: r.history,
      timer: r.timer,
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
