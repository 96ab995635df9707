import { Injectable } from '@nestjs/common';
import {
  type PreparedStatement,
  preparedStatement,
  runPrepared,
  unnestParams,
} from '@parley/common';
import {
  type ConversationEvent,
  conversationEventSchema,
  type MessageImage,
  messageImageSchema,
} from '@parley/protocol';
import { DataSource } from 'typeorm';

/** A message row as storage writes it (body is the message text). */
export interface MessageRow {
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  serverTime: Date;
  body: string;
  /** A membership event's structure (its `body` says it in words). */
  event?: ConversationEvent;
  /** An image message's image (`body` is its caption). */
  image?: MessageImage;
  /** A disappearing message's expiry; `expired`: its content is gone (a tombstone). */
  expiresAt?: Date;
  expired?: true;
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
  /** When the range's messages expire (server time + the conversation's timer), if it has one. */
  expiresAt?: Date;
}

/** What is already known about a batch before it is written (one read). */
export interface BatchLookup {
  /** Messages already stored under any of the keys asked for (retries). */
  stored: StoredMessageRef[];
  /**
   * Current member ids of each EXISTING conversation among those asked for and those of `stored`
   * (missing ones are absent), in joining order: former members (left_seq set) are not in it.
   */
  members: Map<string, string[]>;
  /**
   * The channels among them: their `members` are only the admins (who may post), since a
   * channel's membership is never read whole on the message path.
   */
  channels: Set<string>;
}

/** A new message to append: the `offset`-th (0-based) of its conversation's allocation. */
export interface NewMessage {
  conversationId: string;
  offset: number;
  senderId: string;
  clientMsgId: string;
  body: string;
  image?: MessageImage;
}

/** What the one-statement append found out while it wrote (`appendAsMembers`). */
export interface MemberAppend {
  allocations: Map<string, SeqAllocation>;
  /** The current members of each conversation written to, as `BatchLookup.members` has them. */
  members: Map<string, string[]>;
  /** The channels among them (their `members` are the admins). */
  channels: Set<string>;
}

/** The persist step's statements. */
export interface MessagesStore {
  lookUp(keys: readonly SenderKey[], conversationIds: readonly string[]): Promise<BatchLookup>;
  /**
   * Reserves `count` seqs per conversation and inserts `messages` with them, in ONE statement:
   * all of it commits or none of it does, so seqs stay gap-free. Each conversation at most once
   * per call (a repeat would get overlapping ranges: it throws); a missing conversation fails the
   * whole statement. A (sender, clientMsgId) stored meanwhile is a unique violation.
   */
  append(
    requests: readonly { conversationId: string; count: number }[],
    messages: readonly NewMessage[],
  ): Promise<Map<string, SeqAllocation>>;
  /**
   * The common case in ONE round trip instead of `lookUp` then `append`: the same reservation and
   * rows as `append`, written only if every message is new (no (sender, clientMsgId) stored yet)
   * and every sender is a current member (a channel's: an admin). It reads the conversations'
   * members in the same statement. Returns null, having written nothing, when any of that does
   * not hold or a conversation is missing: the caller takes the two-statement path, which sorts
   * out retries, refusals and poison.
   */
  appendAsMembers(
    requests: readonly { conversationId: string; count: number }[],
    messages: readonly NewMessage[],
  ): Promise<MemberAppend | null>;
}

/** A concurrent consumer stored the same message first (or APPEND_AS_MEMBERS met a retry). */
const UNIQUE_VIOLATION = '23505';
/** The appends met a missing conversation, or APPEND_AS_MEMBERS a non-member. */
const DIVISION_BY_ZERO = '22012';

/** The SQLSTATE of a pg error (its `code`), if it has one. */
function sqlStateOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/** PostgreSQL's unique_violation: a concurrent consumer stored the same message first. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlStateOf(err) === UNIQUE_VIOLATION;
}

/** A conversation's current members in joining order, or a channel's admins (`c` is its row). */
const MEMBER_IDS_OF_C = `
  CASE WHEN c.kind = 'channel'
    THEN (SELECT coalesce(array_agg(cm.user_id::text ORDER BY cm.joined_at, cm.user_id), '{}')
            FROM conversation_members cm
           WHERE cm.conversation_id = c.id AND cm.left_seq IS NULL AND cm.role = 'admin')
    ELSE (SELECT coalesce(array_agg(cm.user_id::text ORDER BY cm.joined_at, cm.user_id), '{}')
            FROM conversation_members cm
           WHERE cm.conversation_id = c.id AND cm.left_seq IS NULL)
  END`;

/**
 * One round trip: the stored messages under the keys, and the members of the conversations asked
 * for plus those the stored messages are in (a client may reuse an id in another conversation).
 * For a channel only its admins are read, through the partial index of admins
 * (`conversation_members_admins_idx`): a post to a channel of 10,000 members reads its few admins,
 * never its members. The members are read per conversation id (subqueries in a LATERAL subquery,
 * which PostgreSQL cannot flatten into a join), so even the cached generic plan of this prepared statement looks
 * each conversation up by its key: a hash join over the whole of `conversations` and
 * `conversation_members`, which that plan chose, read both tables on every batch. Its arrays are
 * read through `unnestParams`: with them bare, a custom plan (which counts the keys) always looked
 * cheaper than the generic one, so every look-up was planned again (the bursts of retries after a
 * crash or a failover take this path: docs/PERFORMANCE.md, seventy-second sitting).
 */
export const LOOK_UP = preparedStatement(
  'storage.messages.lookUp',
  `
  WITH found AS (
    SELECT m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.server_time, m.body, m.event,
           m.image, m.expires_at, m.expired
      FROM messages m
      JOIN ${unnestParams('$1::uuid[]', '$2::text[]')} AS k(sender_id, client_msg_id)
        ON m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id
  ), asked AS (
    SELECT a.id FROM ${unnestParams('$3::text[]')} AS a(id) UNION SELECT conversation_id FROM found
  )
  SELECT 's' AS kind, conversation_id AS id, seq, sender_id::text AS sender_id, client_msg_id,
         server_time, body, event, image, expires_at, expired, NULL::text[] AS member_ids
    FROM found
  UNION ALL
  SELECT CASE WHEN mem.channel THEN 'c' ELSE 'm' END, a.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL,
         mem.member_ids
    FROM asked a
   CROSS JOIN LATERAL (
         SELECT c.kind = 'channel' AS channel, ${MEMBER_IDS_OF_C} AS member_ids
           FROM conversations c
          WHERE c.id = a.id) mem`,
);

/**
 * The appends' one statement, so one implicit transaction: the seq ranges (row locks until it
 * ends, `alloc`) and the rows that take them (`inserted`, each row's seq given by `seq`), then
 * `result`, which reads both. Its arrays are read through `unnestParams`, so a batch of one
 * conversation runs the kept generic plan (conversations looked up by key, as for any size)
 * instead of being planned again.
 */
function appendStatement(name: string, seq: string, result: string): PreparedStatement {
  return preparedStatement(
    name,
    `
  WITH alloc AS (
    UPDATE conversations c
       SET last_seq = c.last_seq + r.n, last_message_at = now()
      FROM ${unnestParams('$1::text[]', '$2::int[]')} AS r(id, n)
     WHERE c.id = r.id
    RETURNING c.id, c.kind, c.last_seq - r.n + 1 AS first_seq,
              date_trunc('milliseconds', now()) AS server_time,
              date_trunc('milliseconds', now()) + c.timer_seconds * interval '1 second' AS expires_at
  ), inserted AS (
    INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, server_time, body,
                          image_id, image, expires_at)
    SELECT e.conversation_id, ${seq}, e.sender_id, e.client_msg_id, a.server_time, e.body,
           (e.image ->> 'id')::uuid, e.image, a.expires_at
      FROM ${unnestParams('$3::text[]', '$4::int[]', '$5::uuid[]', '$6::text[]', '$7::text[]', '$8::jsonb[]')}
           AS e(conversation_id, k, sender_id, client_msg_id, body, image)
      LEFT JOIN alloc a ON a.id = e.conversation_id
    RETURNING 1
  )
  ${result}`,
  );
}

/**
 * A row of a conversation the UPDATE did not find divides by zero, which fails the whole
 * statement, so nothing of it stays. (A NULL seq would fail it too, but PostgreSQL's log would
 * then print the failing row, text and all; a division by zero logs no row. The divisor is not a
 * constant, so the planner cannot fold it.)
 */
const APPEND = appendStatement(
  'storage.messages.append',
  'a.first_seq + e.k + 0 / CASE WHEN a.id IS NOT NULL THEN 1 ELSE 0 END',
  `SELECT id, first_seq, server_time, expires_at, (SELECT count(*) FROM inserted) AS inserted
     FROM alloc`,
);

/**
 * APPEND for sends that need no look-up: a row whose sender is not a current member (a channel's:
 * an admin), or whose conversation is missing, divides by zero, which fails the whole statement
 * (as in APPEND); a stored (sender, clientMsgId) fails it as a unique violation. Either way
 * nothing stays. It returns each conversation's members for the fan-out, read in the statement's
 * own snapshot: the rows `lookUp` would have read just before it. (Exported, with appendValues,
 * for tools/bench/pg-instructions.)
 */
export const APPEND_AS_MEMBERS = appendStatement(
  'storage.messages.appendAsMembers',
  `a.first_seq + e.k
     + 0 / CASE WHEN a.id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM conversation_members cm
                              WHERE cm.conversation_id = e.conversation_id
                                AND cm.user_id = e.sender_id AND cm.left_seq IS NULL
                                AND (a.kind <> 'channel' OR cm.role = 'admin'))
               THEN 1 ELSE 0 END`,
  `SELECT a.id, a.first_seq, a.server_time, a.expires_at,
          (SELECT count(*) FROM inserted) AS inserted, a.kind = 'channel' AS channel, mem.member_ids
     FROM alloc a
    CROSS JOIN LATERAL (SELECT ${MEMBER_IDS_OF_C} AS member_ids
                          FROM conversations c WHERE c.id = a.id) mem`,
);

interface AppendRow {
  id: string;
  first_seq: string;
  server_time: Date;
  expires_at: Date | null;
  inserted: string;
}

interface MemberAppendRow extends AppendRow {
  channel: boolean;
  member_ids: string[];
}

interface LookUpRow {
  /** A stored message, a conversation's members, or a channel's admins. */
  kind: 's' | 'm' | 'c';
  id: string;
  seq: string | null;
  sender_id: string | null;
  client_msg_id: string | null;
  server_time: Date | null;
  body: string | null;
  event: unknown;
  image: unknown;
  expires_at: Date | null;
  expired: boolean | null;
  member_ids: string[] | null;
}

/**
 * conversations / conversation_members / messages in PostgreSQL, for the persist step: a batch
 * costs one round trip (`appendAsMembers`), or two when it declines (the look-up, then the
 * append), never a transaction of six.
 */
@Injectable()
export class MessagesRepository implements MessagesStore {
  constructor(private readonly dataSource: DataSource) {}

  async lookUp(
    keys: readonly SenderKey[],
    conversationIds: readonly string[],
  ): Promise<BatchLookup> {
    const lookup: BatchLookup = { stored: [], members: new Map(), channels: new Set() };
    if (keys.length === 0 && conversationIds.length === 0) return lookup;
    const rows = await runPrepared<LookUpRow>(
      this.dataSource,
      LOOK_UP,
      lookUpValues(keys, conversationIds),
    );
    for (const r of rows) {
      if (r.kind !== 's') {
        lookup.members.set(r.id, r.member_ids ?? []);
        if (r.kind === 'c') lookup.channels.add(r.id);
      } else {
        lookup.stored.push({
          conversationId: r.id,
          seq: Number(r.seq),
          senderId: r.sender_id ?? '',
          clientMsgId: r.client_msg_id ?? '',
          serverTime: new Date(r.server_time ?? 0),
          body: r.body ?? '',
          ...(r.event !== null ? { event: conversationEventSchema.parse(r.event) } : {}),
          ...(r.image !== null ? { image: messageImageSchema.parse(r.image) } : {}),
          ...(r.expires_at !== null ? { expiresAt: new Date(r.expires_at) } : {}),
          ...(r.expired ? { expired: true as const } : {}),
        });
      }
    }
    return lookup;
  }

  async append(
    requests: readonly { conversationId: string; count: number }[],
    messages: readonly NewMessage[],
  ): Promise<Map<string, SeqAllocation>> {
    if (requests.length === 0) return new Map();
    const rows = await runPrepared<AppendRow>(
      this.dataSource,
      APPEND,
      appendValues(requests, messages),
    );
    return allocationsOf(requests, messages, rows);
  }

  async appendAsMembers(
    requests: readonly { conversationId: string; count: number }[],
    messages: readonly NewMessage[],
  ): Promise<MemberAppend | null> {
    const found: MemberAppend = { allocations: new Map(), members: new Map(), channels: new Set() };
    if (requests.length === 0) return found;
    let rows: MemberAppendRow[];
    try {
      rows = await runPrepared<MemberAppendRow>(
        this.dataSource,
        APPEND_AS_MEMBERS,
        appendValues(requests, messages),
      );
    } catch (err) {
      const state = sqlStateOf(err);
      if (state === UNIQUE_VIOLATION || state === DIVISION_BY_ZERO) return null;
      throw err;
    }
    found.allocations = allocationsOf(requests, messages, rows);
    for (const row of rows) {
      found.members.set(row.id, row.member_ids);
      if (row.channel) found.channels.add(row.id);
    }
    return found;
  }
}

/** LOOK_UP's parameters. */
export function lookUpValues(
  keys: readonly SenderKey[],
  conversationIds: readonly string[],
): unknown[] {
  return [keys.map((k) => k.senderId), keys.map((k) => k.clientMsgId), conversationIds];
}

/** The parameters APPEND and APPEND_AS_MEMBERS share. */
export function appendValues(
  requests: readonly { conversationId: string; count: number }[],
  messages: readonly NewMessage[],
): unknown[] {
  if (new Set(requests.map((r) => r.conversationId)).size !== requests.length) {
    throw new Error('append: a conversation appears twice in one request');
  }
  return [
    requests.map((r) => r.conversationId),
    requests.map((r) => r.count),
    messages.map((m) => m.conversationId),
    messages.map((m) => m.offset),
    messages.map((m) => m.senderId),
    messages.map((m) => m.clientMsgId),
    messages.map((m) => m.body),
    messages.map((m) => (m.image ? JSON.stringify(m.image) : null)),
  ];
}

/** The seq ranges an append returned, checked against what it was asked to write. */
function allocationsOf(
  requests: readonly { conversationId: string }[],
  messages: readonly NewMessage[],
  rows: readonly AppendRow[],
): Map<string, SeqAllocation> {
  const allocations = new Map<string, SeqAllocation>();
  for (const row of rows) {
    allocations.set(row.id, {
      conversationId: row.id,
      firstSeq: Number(row.first_seq),
      serverTime: new Date(row.server_time),
      ...(row.expires_at !== null ? { expiresAt: new Date(row.expires_at) } : {}),
    });
  }
  // Cannot happen (a missing conversation fails the statement); said loudly if it ever does.
  const missing = requests.find((r) => !allocations.has(r.conversationId));
  if (missing || Number(rows[0]?.inserted ?? 0) !== messages.length) {
    throw new Error(
      `append: ${missing ? `conversation ${missing.conversationId} not found` : 'rows not inserted'}`,
    );
  }
  return allocations;
}
