import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { usernameSkeleton } from '../../apps/gateway/src/accounts/username-skeleton';

/**
 * Row factories for the `db` tier, in plain SQL: each call makes fresh rows with unique names and
 * ids, so tests (and spec files running in parallel on one database) never share data. They write
 * what another service would have written (users for storage's tables and the read models,
 * conversations and messages for the gateway's read models).
 */

/** A random lower-case hex string (`bytes` * 2 characters): unique per call. */
export function unique(bytes = 5): string {
  return randomBytes(bytes).toString('hex');
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  realName: string;
}

/** One account row as the gateway's registration stores it (keys lower-cased, skeleton). */
export async function insertUser(
  dataSource: DataSource,
  fields: { username?: string; email?: string; realName?: string } = {},
): Promise<TestUser> {
  const username = fields.username ?? `u_${unique()}`;
  const email = fields.email ?? `${unique()}@example.test`;
  const realName = fields.realName ?? `Real ${username}`;
  const rows = await dataSource.query<{ id: string }[]>(
    `INSERT INTO users (username, username_key, username_skeleton, email, email_key, real_name,
                        password_hash)
     VALUES ($1, lower($1), $2, $3, lower($3), $4, 'not-a-hash') RETURNING id`,
    [username, usernameSkeleton(username), email, realName],
  );
  return { id: rows[0].id, username, email, realName };
}

/** A conversation id in the gateway's format (`<13-digit ms>-<32 hex>`), unique per call. */
export function conversationId(now: number = Date.now()): string {
  return `${String(now).padStart(13, '0')}-${unique(16)}`;
}

/**
 * A conversation and its members, as storage's schema holds it: `direct` (with its pair key) for
 * two members unless `kind` says otherwise. Members join 1 ms apart, in the order given.
 */
export async function insertConversation(
  dataSource: DataSource,
  options: {
    members: readonly string[];
    id?: string;
    kind?: 'direct' | 'group' | 'channel';
    createdAt?: Date;
  },
): Promise<string> {
  const id = options.id ?? conversationId();
  const kind = options.kind ?? (options.members.length === 2 ? 'direct' : 'group');
  const createdAt = options.createdAt ?? new Date();
  await dataSource.query(
    `INSERT INTO conversations (id, kind, pair_key, created_at) VALUES ($1, $2, $3, $4)`,
    [id, kind, kind === 'direct' ? [...options.members].sort().join(':') : null, createdAt],
  );
  await dataSource.query(
    `INSERT INTO conversation_members (conversation_id, user_id, joined_at)
     SELECT $1, m.user_id, $3::timestamptz + (m.i - 1) * interval '1 millisecond'
       FROM unnest($2::uuid[]) WITH ORDINALITY AS m(user_id, i)`,
    [id, options.members, createdAt],
  );
  return id;
}

export interface TestMessage {
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string;
  serverTime: Date;
}

/**
 * Appends messages to a conversation the way storage does: the next seqs, and the conversation's
 * `last_seq` / `last_message_at` moved with them. Server times default to 1 ms apart from now.
 */
export async function insertMessages(
  dataSource: DataSource,
  conversationId: string,
  messages: readonly { senderId: string; body?: string; clientMsgId?: string; serverTime?: Date }[],
): Promise<TestMessage[]> {
  return dataSource.transaction(async (tx) => {
    const current = await tx.query<{ last_seq: string }[]>(
      `SELECT last_seq FROM conversations WHERE id = $1 FOR UPDATE`,
      [conversationId],
    );
    if (!current[0]) throw new Error(`no conversation ${conversationId}`);
    const base = Number(current[0].last_seq);
    const start = Date.now();
    const rows: TestMessage[] = messages.map((m, i) => ({
      conversationId,
      seq: base + i + 1,
      senderId: m.senderId,
      clientMsgId: m.clientMsgId ?? `m_${unique()}`,
      body: m.body ?? `message ${base + i + 1}`,
      serverTime: m.serverTime ?? new Date(start + i),
    }));
    for (const r of rows) {
      await tx.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, server_time, body)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [r.conversationId, r.seq, r.senderId, r.clientMsgId, r.serverTime, r.body],
      );
    }
    const last = rows[rows.length - 1];
    if (last) {
      await tx.query(`UPDATE conversations SET last_seq = $2, last_message_at = $3 WHERE id = $1`, [
        conversationId,
        last.seq,
        last.serverTime,
      ]);
    }
    return rows;
  });
}

/** Sets a member's read cursor (conversation_members.read_seq). */
export async function setReadSeq(
  dataSource: DataSource,
  conversationId: string,
  userId: string,
  seq: number,
): Promise<void> {
  await dataSource.query(
    `UPDATE conversation_members SET read_seq = $3 WHERE conversation_id = $1 AND user_id = $2`,
    [conversationId, userId, seq],
  );
}

/** Sets one device's delivered cursor in a conversation (device_cursors). */
export async function setDeliveredSeq(
  dataSource: DataSource,
  cursor: { userId: string; deviceId: string; conversationId: string; seq: number },
): Promise<void> {
  await dataSource.query(
    `INSERT INTO device_cursors (user_id, device_id, conversation_id, delivered_seq)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id, device_id, conversation_id) DO UPDATE SET delivered_seq = $4`,
    [cursor.userId, cursor.deviceId, cursor.conversationId, cursor.seq],
  );
}
