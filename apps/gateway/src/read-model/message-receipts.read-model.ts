import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { READ_STATE_SHOWN } from './read-state';

/** One member's receipt of one message: whether and when its cursors reached it. */
export interface MemberReceiptOfMessage {
  id: string;
  username: string;
  delivered: boolean;
  deliveredAt: Date | null;
  read: boolean;
  readAt: Date | null;
}

/** Who sent the message at a seq, and whether it is a membership event. */
export interface MessageAuthor {
  senderId: string;
  isEvent: boolean;
  /** A channel's message: a channel has no read receipts. */
  inChannel: boolean;
}

/**
 * Read model: per message, the members' receipts, derived from storage's
 * `conversation_members` cursors and `receipt_moves` (when each cursor moved). Nothing is stored
 * per message: a member's time for seq s is its first cursor move to a seq >= s, one primary-key
 * row per member and cursor.
 */
@Injectable()
export class MessageReceiptsReadModel {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async authorOf(conversationId: string, seq: number): Promise<MessageAuthor | null> {
    const [row] = await this.dataSource.query<
      { sender_id: string; is_event: boolean; channel: boolean }[]
    >(
      `SELECT m.sender_id, m.event IS NOT NULL AS is_event, c.kind = 'channel' AS channel
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = $1 AND m.seq = $2`,
      [conversationId, seq],
    );
    return row ? { senderId: row.sender_id, isEvent: row.is_event, inChannel: row.channel } : null;
  }

  /**
   * The receipts of message `seq` from every current member who could read it (joined at or
   * before it), but `exceptUserId` (its sender, who asks), in joining order. Read shows only
   * where both have read receipts on (READ_STATE_SHOWN).
   */
  async of(
    conversationId: string,
    seq: number,
    exceptUserId: string,
  ): Promise<MemberReceiptOfMessage[]> {
    const rows = await this.dataSource.query<
      {
        user_id: string;
        username: string | null;
        delivered: boolean;
        read: boolean;
        delivered_at: Date | null;
        read_at: Date | null;
      }[]
    >(
      `SELECT cm.user_id, u.username, cm.delivered_seq >= $2 AS delivered,
              cm.read_seq >= $2 AND ${READ_STATE_SHOWN} AS read,
              d.moved_at AS delivered_at, r.moved_at AS read_at
         FROM conversation_members cm
         LEFT JOIN users u ON u.id = cm.user_id
         LEFT JOIN users viewer ON viewer.id = $3
         LEFT JOIN LATERAL (
           SELECT moved_at FROM receipt_moves
            WHERE conversation_id = $1 AND user_id = cm.user_id AND kind = 'delivered' AND seq >= $2
            ORDER BY seq LIMIT 1
         ) d ON cm.delivered_seq >= $2
         LEFT JOIN LATERAL (
           SELECT moved_at FROM receipt_moves
            WHERE conversation_id = $1 AND user_id = cm.user_id AND kind = 'read' AND seq >= $2
            ORDER BY seq LIMIT 1
         ) r ON cm.read_seq >= $2
        WHERE cm.conversation_id = $1 AND cm.left_seq IS NULL AND cm.visible_from <= $2
          AND cm.user_id <> $3
        ORDER BY cm.joined_at, cm.user_id`,
      [conversationId, seq, exceptUserId],
    );
    return rows.map((r) => ({
      id: r.user_id,
      username: r.username ?? '(deleted)',
      delivered: r.delivered,
      deliveredAt: r.delivered ? r.delivered_at : null,
      read: r.read,
      readAt: r.read ? r.read_at : null,
    }));
  }
}
