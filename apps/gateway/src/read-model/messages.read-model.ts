import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  conversationEventSchema,
  type DeliveredMessage,
  messageImageSchema,
} from '@parley/protocol';
import { DataSource } from 'typeorm';

export interface MessageRow {
  conversation_id: string;
  seq: string;
  sender_id: string;
  sender_username: string | null;
  client_msg_id: string;
  body: string;
  server_time: Date;
  /** A membership event's structure (jsonb), or null for a message. */
  event: unknown;
  /** An image message's image (jsonb, as storage stored it), or null. */
  image: unknown;
  /** A disappearing message's expiry, or null. */
  expires_at: Date | null;
  /** Past its expiry (deleted or not yet): a tombstone, whatever `body` and `image` held. */
  gone: boolean;
}

/**
 * Whether message `m` is past its expiry: its content is gone for every reader, whether or not
 * storage's sweeper deleted it yet.
 */
export const MESSAGE_GONE = `(m.expired OR coalesce(m.expires_at <= now(), false))`;

export const MESSAGE_COLUMNS = `m.conversation_id, m.seq, m.sender_id, u.username AS sender_username,
  m.client_msg_id, CASE WHEN ${MESSAGE_GONE} THEN '' ELSE m.body END AS body, m.server_time, m.event,
  CASE WHEN ${MESSAGE_GONE} THEN NULL ELSE m.image END AS image, m.expires_at,
  ${MESSAGE_GONE} AS gone`;

/** A position in a device's offline stream: after message `seq` of conversation `conversationId`. */
export interface StreamPosition {
  conversationId: string;
  seq: number;
}

/**
 * Read model: storage's `messages` and `device_cursors` (with the sender's username from the
 * gateway's `users`), as the gateway reads them for history pages and offline sync.
 */
@Injectable()
export class MessagesReadModel {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Up to `limit` messages of one conversation before `beforeSeq` (or the latest) and from
   * `fromSeq` on, newest first.
   */
  async latestBefore(
    conversationId: string,
    beforeSeq: number | undefined,
    fromSeq: number,
    limit: number,
  ): Promise<DeliveredMessage[]> {
    const rows = await this.dataSource.query<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS}
         FROM messages m LEFT JOIN users u ON u.id = m.sender_id
        WHERE m.conversation_id = $1 AND ($2::bigint IS NULL OR m.seq < $2::bigint)
          AND m.seq >= $4
        ORDER BY m.seq DESC LIMIT $3`,
      [conversationId, beforeSeq ?? null, limit, fromSeq],
    );
    return rows.map(toDelivered);
  }

  /**
   * The device's undelivered messages in (conversation, seq) order: in every conversation the
   * user belongs to, those past the device's delivered cursor (0 if none), from the user's first
   * readable seq, and past `after`.
   * Each conversation is read by a LATERAL range scan of the messages primary key
   * (conversation_id, seq), at most `limit` rows each: the cost follows what the device missed,
   * not the size of the table (a hash join over all messages took 70 ms at 600k rows).
   */
  async undelivered(
    userId: string,
    deviceId: string,
    after: StreamPosition | null,
    limit: number,
  ): Promise<DeliveredMessage[]> {
    const rows = await this.dataSource.query<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS}
         FROM conversation_members cm
         LEFT JOIN device_cursors dc
           ON dc.user_id = cm.user_id AND dc.device_id = $2 AND dc.conversation_id = cm.conversation_id
         CROSS JOIN LATERAL (
           SELECT * FROM messages mm
            WHERE mm.conversation_id = cm.conversation_id
              AND mm.seq > GREATEST(
                    COALESCE(dc.delivered_seq, 0),
                    cm.visible_from - 1,
                    CASE WHEN cm.conversation_id = $3::text THEN $4::bigint ELSE 0 END)
            ORDER BY mm.seq
            LIMIT $5
         ) m
         LEFT JOIN users u ON u.id = m.sender_id
        WHERE cm.user_id = $1 AND cm.left_seq IS NULL
          AND ($3::text IS NULL OR cm.conversation_id COLLATE "C" >= $3::text COLLATE "C")
        ORDER BY m.conversation_id COLLATE "C", m.seq
        LIMIT $5`,
      [userId, deviceId, after?.conversationId ?? null, after?.seq ?? 0, limit],
    );
    return rows.map(toDelivered);
  }
}

export function toDelivered(r: MessageRow): DeliveredMessage {
  return {
    conversationId: r.conversation_id,
    seq: Number(r.seq),
    senderId: r.sender_id,
    senderUsername: r.sender_username ?? '(deleted)',
    clientMsgId: r.client_msg_id,
    text: r.body,
    serverTime: r.server_time.toISOString(),
    ...(r.event !== null && r.event !== undefined
      ? { event: conversationEventSchema.parse(r.event) }
      : {}),
    ...(r.image !== null && r.image !== undefined
      ? { image: messageImageSchema.parse(r.image) }
      : {}),
    ...(r.expires_at ? { expiresAt: r.expires_at.toISOString() } : {}),
    ...(r.gone ? { expired: true as const } : {}),
  };
}
