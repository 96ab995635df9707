import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  conversationEventSchema,
  messageImageSchema,
  type DeliveredMessage,
  type HistoryVisibility,
  historyVisibilitySchema,
  type MemberRole,
} from '@parley/protocol';
import { preparedStatement, runPrepared } from '@parley/common';
import { DataSource } from 'typeorm';
import { MESSAGE_GONE } from './messages.read-model';
import { READ_STATE_SHOWN } from './read-state';

export interface ConversationListRow {
  id: string;
  kind: string;
  title: string | null;
  /** A channel anyone may join. */
  public: boolean;
  memberCount: number;
  /** A group's setting for members added later (null for 1:1). */
  history: HistoryVisibility | null;
  /** Disappearing messages: the timer in seconds, null when messages stay. */
  timer: number | null;
  /** False once the user left or was removed: `lastSeq` is then the event that ended it. */
  active: boolean;
  /** The first seq the user may read (above 1 for a member added to a `joined` group). */
  fromSeq: number;
  lastSeq: number;
  readSeq: number;
  unread: number;
  createdAt: Date;
  lastMessageAt: Date | null;
  lastMessage: DeliveredMessage | null;
}

/** A membership check's answer (ConversationsReadModel.membership). */
export interface Membership {
  kind: string;
  /** Every current member; empty for a channel (never read whole). */
  memberIds: string[];
  /** The asking user's role, null unless a current member. */
  role: MemberRole | null;
}

/** A public channel as the channel list shows it. */
export interface ChannelRow {
  id: string;
  name: string;
  memberCount: number;
  joined: boolean;
}

export interface MemberRow {
  conversationId: string;
  id: string;
  username: string;
  role: MemberRole;
  /** Receipt cursors: the highest seq a device of the member holds, and the highest it read. */
  deliveredSeq: number;
  readSeq: number;
}

/**
 * Read model: storage's `conversations` and `conversation_members` (with usernames from the
 * gateway's `users`), as the gateway reads them for membership checks, cursors and the
 * conversation list. Storage owns the schema and every write but one (see
 * DirectConversationsRepository).
 */
/**
 * A socket's channels, read at every admission: prepared once per pooled connection. The partial
 * index on channels (storage's AddChannelsIndex) lets it start from the few channels rather than
 * from every conversation the user is in.
 */
const CHANNELS_OF = preparedStatement(
  'gateway.conversations.channelsOf',
  `SELECT m.conversation_id FROM conversation_members m
     JOIN conversations c ON c.id = m.conversation_id
    WHERE m.user_id = $1 AND m.left_seq IS NULL AND c.kind = 'channel'`,
);

@Injectable()
export class ConversationsReadModel {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * What a membership check needs, in one query: the conversation's kind and `userId`'s role
   * (null if not a current member), and for anything but a channel every current member (what
   * the members cache holds). Null when the conversation does not exist.
   */
  async membership(conversationId: string, userId: string): Promise<Membership | null> {
    const [row] = await this.dataSource.query<
      { kind: string; member_ids: string[] | null; role: string | null }[]
    >(
      `SELECT c.kind,
              CASE WHEN c.kind <> 'channel' THEN
                (SELECT array_agg(m.user_id::text) FROM conversation_members m
                  WHERE m.conversation_id = c.id AND m.left_seq IS NULL) END AS member_ids,
              (SELECT m.role FROM conversation_members m
                WHERE m.conversation_id = c.id AND m.user_id = $2 AND m.left_seq IS NULL) AS role
         FROM conversations c WHERE c.id = $1`,
      [conversationId, userId],
    );
    if (!row) return null;
    return {
      kind: row.kind,
      memberIds: row.member_ids ?? [],
      role: row.role === null ? null : row.role === 'admin' ? 'admin' : 'member',
    };
  }

  /** The channels `userId` is a current member of (its sockets' subscriptions). */
  async channelsOf(userId: string): Promise<string[]> {
    const rows = await runPrepared<{ conversation_id: string }>(this.dataSource, CHANNELS_OF, [
      userId,
    ]);
    return rows.map((r) => r.conversation_id);
  }

  /**
   * The channels each of `userIds` is a current member of, in one query (a gateway reloading its
   * sockets' subscriptions after a gap in its control channel). Every user asked is in the map.
   */
  async channelsOfUsers(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return out;
    const rows = await this.dataSource.query<{ user_id: string; conversation_id: string }[]>(
      `SELECT m.user_id::text AS user_id, m.conversation_id FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = ANY($1::uuid[]) AND m.left_seq IS NULL AND c.kind = 'channel'`,
      [userIds],
    );
    for (const row of rows) out.get(row.user_id)?.push(row.conversation_id);
    return out;
  }

  /** Public channels (names containing `q`, if given), the most members first. */
  async publicChannels(
    userId: string,
    q: string | undefined,
    limit: number,
  ): Promise<ChannelRow[]> {
    const rows = await this.dataSource.query<
      { id: string; title: string | null; member_count: string; joined: boolean }[]
    >(
      `SELECT c.id, c.title,
              (SELECT count(*) FROM conversation_members n
                WHERE n.conversation_id = c.id AND n.left_seq IS NULL) AS member_count,
              EXISTS (SELECT 1 FROM conversation_members j
                       WHERE j.conversation_id = c.id AND j.user_id = $1 AND j.left_seq IS NULL) AS joined
         FROM conversations c
        WHERE c.kind = 'channel' AND c.public
          AND ($2::text IS NULL OR strpos(lower(c.title), lower($2::text)) > 0)
        ORDER BY member_count DESC, c.title, c.id
        LIMIT $3`,
      [userId, q && q.length > 0 ? q : null, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.title ?? '',
      memberCount: Number(r.member_count),
      joined: r.joined,
    }));
  }

  /**
   * The seqs `userId` may read: from its first readable seq, up to the event that ended its
   * membership (`untilSeq`, a former member) or the end (a member); null when it never was one.
   */
  async readableRange(
    conversationId: string,
    userId: string,
  ): Promise<{ fromSeq: number; untilSeq: number | undefined } | null> {
    const [row] = await this.dataSource.query<{ visible_from: string; left_seq: string | null }[]>(
      `SELECT visible_from, left_seq FROM conversation_members
        WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
    if (!row) return null;
    return {
      fromSeq: Number(row.visible_from),
      untilSeq: row.left_seq === null ? undefined : Number(row.left_seq),
    };
  }

  async lastSeq(conversationId: string): Promise<number | null> {
    const rows = await this.dataSource.query<{ last_seq: string }[]>(
      `SELECT last_seq FROM conversations WHERE id = $1`,
      [conversationId],
    );
    return rows[0] ? Number(rows[0].last_seq) : null;
  }

  /**
   * The user's conversations (or just `onlyId`), newest activity first, with the last message
   * and the unread count (messages from others past the member's read cursor). A channel nothing
   * was ever posted to is left out (the announcements channel until its first post).
   */
  async listForUser(
    userId: string,
    limit: number,
    onlyId?: string,
  ): Promise<ConversationListRow[]> {
    const rows = await this.dataSource.query<
      {
        id: string;
        kind: string;
        title: string | null;
        public: boolean;
        member_count: string;
        history: string | null;
        timer_seconds: number | null;
        active: boolean;
        visible_from: string;
        last_seq: string;
        read_seq: string;
        created_at: Date;
        last_message_at: Date | null;
        unread: string;
        m_seq: string | null;
        m_sender_id: string | null;
        m_sender_username: string | null;
        m_client_msg_id: string | null;
        m_body: string | null;
        m_server_time: Date | null;
        m_event: unknown;
        m_image: unknown;
        m_expires_at: Date | null;
        m_gone: boolean | null;
      }[]
    >(
      `SELECT c.id, c.kind, c.title, c.public, c.history, c.timer_seconds, me.left_seq IS NULL AS active, me.visible_from,
              (SELECT count(*) FROM conversation_members n
                WHERE n.conversation_id = c.id AND n.left_seq IS NULL) AS member_count,
              coalesce(me.left_seq, c.last_seq) AS last_seq, me.read_seq, c.created_at, c.last_message_at,
              (SELECT count(*) FROM messages u
                WHERE u.conversation_id = c.id AND u.seq > me.read_seq AND u.sender_id <> $1
                  AND u.seq >= me.visible_from
                  AND u.seq <= coalesce(me.left_seq, c.last_seq)) AS unread,
              m.seq AS m_seq, m.sender_id AS m_sender_id, su.username AS m_sender_username, m.client_msg_id AS m_client_msg_id,
              CASE WHEN ${MESSAGE_GONE} THEN '' ELSE m.body END AS m_body, m.server_time AS m_server_time, m.event AS m_event,
              CASE WHEN ${MESSAGE_GONE} THEN NULL ELSE m.image END AS m_image,
              m.expires_at AS m_expires_at, ${MESSAGE_GONE} AS m_gone
         FROM conversation_members me
         JOIN conversations c ON c.id = me.conversation_id
         LEFT JOIN LATERAL (
           SELECT seq, sender_id, client_msg_id, body, server_time, event, image, expires_at, expired
             FROM messages
            WHERE conversation_id = c.id AND seq <= coalesce(me.left_seq, c.last_seq)
            ORDER BY seq DESC LIMIT 1
         ) m ON true
         LEFT JOIN users su ON su.id = m.sender_id
        WHERE me.user_id = $1 AND ($3::text IS NULL OR c.id = $3::text)
          AND NOT (c.kind = 'channel' AND c.last_seq = 0)
        ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC
        LIMIT $2`,
      [userId, limit, onlyId ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      title: r.title,
      public: r.public,
      memberCount: Number(r.member_count),
      history: r.history === null ? null : historyVisibilitySchema.catch('all').parse(r.history),
      timer: r.timer_seconds,
      active: r.active,
      fromSeq: Number(r.visible_from),
      lastSeq: Number(r.last_seq),
      readSeq: Number(r.read_seq),
      unread: Number(r.unread),
      createdAt: r.created_at,
      lastMessageAt: r.last_message_at,
      lastMessage:
        r.m_seq === null ||
        r.m_sender_id === null ||
        r.m_body === null ||
        r.m_server_time === null ||
        r.m_client_msg_id === null
          ? null
          : {
              conversationId: r.id,
              seq: Number(r.m_seq),
              senderId: r.m_sender_id,
              senderUsername: r.m_sender_username ?? '(deleted)',
              clientMsgId: r.m_client_msg_id,
              text: r.m_body,
              serverTime: r.m_server_time.toISOString(),
              ...(r.m_event !== null ? { event: conversationEventSchema.parse(r.m_event) } : {}),
              ...(r.m_image !== null ? { image: messageImageSchema.parse(r.m_image) } : {}),
              ...(r.m_expires_at ? { expiresAt: r.m_expires_at.toISOString() } : {}),
              ...(r.m_gone ? { expired: true as const } : {}),
            },
    }));
  }

  /**
   * The current members (id, username, role, cursors) of each of the given conversations, as
   * `viewerId` sees them; of a channel only its admins (a channel's membership is never listed
   * whole). Another member's read cursor shows 0 unless both have read receipts on
   * (READ_STATE_SHOWN): the viewer's own always shows.
   */
  async membersOf(conversationIds: readonly string[], viewerId: string): Promise<MemberRow[]> {
    if (conversationIds.length === 0) return [];
    const rows = await this.dataSource.query<
      {
        conversation_id: string;
        user_id: string;
        username: string | null;
        role: string;
        delivered_seq: string;
        read_seq: string;
      }[]
    >(
      `SELECT cm.conversation_id, cm.user_id, u.username, cm.role, cm.delivered_seq,
              CASE WHEN ${READ_STATE_SHOWN} THEN cm.read_seq ELSE 0 END AS read_seq
         FROM conversation_members cm
         JOIN conversations c ON c.id = cm.conversation_id
         LEFT JOIN users u ON u.id = cm.user_id
         LEFT JOIN users viewer ON viewer.id = $2
        WHERE cm.conversation_id = ANY($1::text[]) AND cm.left_seq IS NULL
          AND (c.kind <> 'channel' OR cm.role = 'admin')
        ORDER BY cm.conversation_id, cm.joined_at, cm.user_id`,
      [conversationIds, viewerId],
    );
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      id: r.user_id,
      username: r.username ?? '',
      role: r.role === 'admin' ? 'admin' : 'member',
      deliveredSeq: Number(r.delivered_seq),
      readSeq: Number(r.read_seq),
    }));
  }
}
