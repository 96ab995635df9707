import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A message row as storage writes it (body is the message text). */
export interface MessageRow {
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  serverTime: Date;
  body: string;
}

/** An already-stored message found by its idempotency key (sender, clientMsgId). */
export type StoredMessageRef = MessageRow;

export interface SenderKey {
  senderId: string;
  clientMsgId: string;
}

/** A seq range allocated to one conversation: `firstSeq .. firstSeq + count - 1`. */
export interface SeqAllocation {
  conversationId: string;
  firstSeq: number;
  serverTime: Date;
}

/** The statements one persist transaction runs; implemented on one PostgreSQL transaction. */
export interface MessagesTransaction {
  findStored(keys: readonly SenderKey[]): Promise<StoredMessageRef[]>;
  /** Member ids of each EXISTING conversation among `conversationIds` (missing ones are absent). */
  membersOf(conversationIds: readonly string[]): Promise<Map<string, string[]>>;
  /**
   * Reserves `count` seqs for each conversation in ONE statement (row locks until commit);
   * gap-free because it rolls back with the inserts. Throws if a conversation is missing. Each
   * conversation at most once per call (an UPDATE ... FROM updates a row once, so a repeated
   * conversation would get overlapping ranges): a repeat throws.
   */
  allocateSeqs(
    requests: readonly { conversationId: string; count: number }[],
  ): Promise<Map<string, SeqAllocation>>;
  insertMessages(rows: readonly MessageRow[]): Promise<void>;
}

/** PostgreSQL's unique_violation: a concurrent consumer stored the same message first. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** conversations / conversation_members / messages in PostgreSQL, for the persist step. */
@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in ONE transaction: it commits when `work` resolves, rolls back when it throws. */
  transaction<T>(work: (tx: MessagesTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new PgMessagesTransaction(manager)));
  }
}

class PgMessagesTransaction implements MessagesTransaction {
  constructor(private readonly manager: EntityManager) {}

  async findStored(keys: readonly SenderKey[]): Promise<StoredMessageRef[]> {
    if (keys.length === 0) return [];
    const rows: {
      conversation_id: string;
      seq: string;
      sender_id: string;
      client_msg_id: string;
      server_time: Date;
      body: string;
    }[] = await this.manager.query(
      `SELECT m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.server_time, m.body
         FROM messages m
         JOIN unnest($1::uuid[], $2::text[]) AS k(sender_id, client_msg_id)
           ON m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id`,
      [keys.map((k) => k.senderId), keys.map((k) => k.clientMsgId)],
    );
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      seq: Number(r.seq),
      senderId: r.sender_id,
      clientMsgId: r.client_msg_id,
      serverTime: new Date(r.server_time),
      body: r.body,
    }));
  }

  async membersOf(conversationIds: readonly string[]): Promise<Map<string, string[]>> {
    const members = new Map<string, string[]>();
    if (conversationIds.length === 0) return members;
    const rows: { id: string; member_ids: string[] }[] = await this.manager.query(
      `SELECT c.id, coalesce(array_agg(m.user_id::text ORDER BY m.joined_at, m.user_id)
                  FILTER (WHERE m.user_id IS NOT NULL), '{}') AS member_ids
         FROM conversations c
         LEFT JOIN conversation_members m ON m.conversation_id = c.id
        WHERE c.id = ANY($1::text[])
        GROUP BY c.id`,
      [conversationIds],
    );
    for (const row of rows) members.set(row.id, row.member_ids);
    return members;
  }

  async allocateSeqs(
    requests: readonly { conversationId: string; count: number }[],
  ): Promise<Map<string, SeqAllocation>> {
    const allocations = new Map<string, SeqAllocation>();
    if (requests.length === 0) return allocations;
    if (new Set(requests.map((r) => r.conversationId)).size !== requests.length) {
      throw new Error('allocateSeqs: a conversation appears twice in one request');
    }
    // TypeORM returns [rows, affectedCount] for UPDATE ... RETURNING on PostgreSQL.
    const [rows]: [{ id: string; last_seq: string; server_time: Date }[], number] =
      await this.manager.query(
        `UPDATE conversations c
            SET last_seq = c.last_seq + r.n, last_message_at = now()
           FROM unnest($1::text[], $2::int[]) AS r(id, n)
          WHERE c.id = r.id
      RETURNING c.id, c.last_seq, date_trunc('milliseconds', now()) AS server_time`,
        [requests.map((r) => r.conversationId), requests.map((r) => r.count)],
      );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const { conversationId, count } of requests) {
      const row = byId.get(conversationId);
      if (!row) throw new Error(`conversation ${conversationId} vanished during seq allocation`);
      allocations.set(conversationId, {
        conversationId,
        firstSeq: Number(row.last_seq) - count + 1,
        serverTime: new Date(row.server_time),
      });
    }
    return allocations;
  }

  async insertMessages(rows: readonly MessageRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.manager.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, server_time, body)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::timestamptz[],
                            $6::text[])`,
      [
        rows.map((r) => r.conversationId),
        rows.map((r) => String(r.seq)),
        rows.map((r) => r.senderId),
        rows.map((r) => r.clientMsgId),
        rows.map((r) => r.serverTime.toISOString()),
        rows.map((r) => r.body),
      ],
    );
  }
}
