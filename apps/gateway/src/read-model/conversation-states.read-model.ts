import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type DeliveredMessage,
  STATE_WINDOW,
  type StateEntry,
  stateWindow,
} from '@parley/protocol';
import { anyParam, preparedStatement, runPrepared, unnestParams } from '@parley/common';
import { DataSource } from 'typeorm';
import { CoalescedLoad } from './coalesced-load';
import { MESSAGE_COLUMNS, MESSAGE_GONE, type MessageRow, toDelivered } from './messages.read-model';

/** A conversation and a seq in it. */
export interface ConversationPosition {
  conversationId: string;
  seq: number;
}

/** A position in what a member may read: nothing below `fromSeq` (its first readable seq). */
export interface ReadablePosition extends ConversationPosition {
  fromSeq: number;
}

/** A conversation as a member may read it: seqs `fromSeq` .. `lastSeq`. */
export interface ReadableRange {
  fromSeq: number;
  lastSeq: number;
}

/** The digest window a position needs: its seq and the window's first seq. */
const windowKey = (p: ReadablePosition): string =>
  `${p.conversationId}\u0000${p.seq}\u0000${stateWindow(p.seq, p.fromSeq).from}`;

interface PositionRow {
  id: string;
  last_seq: string;
  visible_from: string;
}

const positionOf = (r: PositionRow): ReadablePosition => ({
  conversationId: r.id,
  seq: Number(r.last_seq),
  fromSeq: Number(r.visible_from),
});

/**
 * A membership's conversation with what it lets the member read: from its first readable seq
 * (above 1 for a member added to a group that shows the history from joining) to the last seq or,
 * for a former member, the event that ended the membership (it keeps what came before, and gets
 * nothing after). MEMBERSHIPS is what the statements below read it from.
 */
const READABLE = `c.id, coalesce(cm.left_seq, c.last_seq) AS last_seq, cm.visible_from`;
const MEMBERSHIPS = `conversation_members cm JOIN conversations c ON c.id = cm.conversation_id`;

/** A channel nothing was ever posted to (the announcements channel until its first post). */
const SILENT_CHANNEL = `c.kind = 'channel' AND c.last_seq = 0`;

/**
 * Whether a membership's conversation is among the ids in `$2` (up to SYNC_ROUND_MAX_STATES a
 * round). In a prepared statement's generic plan `$2` is a parameter, and `= ANY($2)` scanned the
 * array once per membership (a user with 5,000 conversations, a round naming 4,900: 287-293 ms);
 * `IN (SELECT unnest(…))` is a hashed SubPlan, the ids hashed once per call (3.0-3.1 ms; 100 named
 * of 101: 0.83-0.88 ms against 1.10-1.15; docs/PERFORMANCE.md, "The asked set hashed").
 */
const NAMED = `cm.conversation_id IN (SELECT unnest($2::text[]))`;

/**
 * The user's (`$1`) conversations among `$2` (a key probe per id: not a per-row scan). The ids are
 * read through `anyParam`: with `= ANY($2)` a frame naming a few conversations (a later frame of a
 * round, the ones a summary did not read) was planned again on every call where users hold many
 * (0.71 M instructions a call against 0.19 M; docs/PERFORMANCE.md, "The asked conversations
 * planned on every call").
 */
const ASKED_SQL = `SELECT ${READABLE} FROM ${MEMBERSHIPS}
   WHERE cm.user_id = $1 AND cm.conversation_id = ${anyParam('$2::text[]')}`;

/** The user's (`$1`) conversations not among `$2`, at most `$3`, in id order; no silent channel. */
const OTHERS_SQL = `SELECT ${READABLE} FROM ${MEMBERSHIPS}
   WHERE cm.user_id = $1 AND NOT (${NAMED})
     AND NOT (${SILENT_CHANNEL})
   ORDER BY c.id COLLATE "C"
   LIMIT $3`;

// Prepared once per pooled connection: the first sync round of every socket runs one of them.
// ASKED, OTHERS and POSITIONS (and TAILS and WINDOWS below) are exported for
// tools/bench/pg-instructions, which counts their cost.
export const ASKED = preparedStatement('gateway.syncStates.asked', ASKED_SQL);
export const OTHERS = preparedStatement('gateway.syncStates.others', OTHERS_SQL);

/**
 * ASKED and OTHERS in one pass over the user's memberships: every asked row, and the first `$3`
 * of the others in id order (ranked among the others; the window's sort gives the order). OTHERS
 * reads every membership of the user anyway, to sort them; the two as a UNION also probed the
 * membership key once per asked id (a generic plan cannot hash `ANY($2)`): about 1.0 ms a call
 * with 100 conversations against about 0.5 ms (docs/PERFORMANCE.md, "Connects: one pass over a
 * user's memberships"). The asked ones are marked by NAMED, computed once per row: without the
 * `OFFSET 0` fence PostgreSQL pushed the silent-channel filter down into the scan with its own
 * copy of NAMED, a second hashed SubPlan over the same ids (2.73 M instructions a call against
 * 2.41 M for a user naming 101 conversations; docs/PERFORMANCE.md, "Conversations found by a hash
 * of their id").
 */
export const POSITIONS = preparedStatement(
  'gateway.syncStates.positions',
  `SELECT id, last_seq, visible_from FROM (
     SELECT s.*, row_number() OVER (PARTITION BY s.asked ORDER BY s.id COLLATE "C") AS rank
       FROM (SELECT ${READABLE}, ${NAMED} AS asked,
                    ${SILENT_CHANNEL} AS silent
               FROM ${MEMBERSHIPS}
              WHERE cm.user_id = $1 OFFSET 0) s
      WHERE s.asked OR NOT s.silent) r
    WHERE r.asked OR r.rank <= $3
    ORDER BY r.asked, r.id COLLATE "C"`,
);

/**
 * The last ten messages of each position's readable range: a new device's first round runs it for
 * every conversation it is told of. Named, its arrays read through `unnestParams`, so a connection
 * keeps one plan (an index probe per conversation) instead of planning it for every device: 0.34
 * ms of planning against 1.12 ms of execution for 100 conversations (docs/PERFORMANCE.md, "One cost
 * model for every service").
 */
export const TAILS = preparedStatement(
  'gateway.syncStates.tails',
  `SELECT ${MESSAGE_COLUMNS}
     FROM ${unnestParams('$1::text[]', '$2::bigint[]', '$3::bigint[]')}
          AS s(conversation_id, from_seq, until_seq)
     CROSS JOIN LATERAL (
       SELECT * FROM messages mm
        WHERE mm.conversation_id = s.conversation_id
          AND mm.seq >= s.from_seq AND mm.seq <= s.until_seq
        ORDER BY mm.seq DESC
        LIMIT ${STATE_WINDOW}
     ) m
     LEFT JOIN users u ON u.id = m.sender_id
    ORDER BY m.conversation_id, m.seq`,
);

/**
 * The digest windows of these positions (conversation, last seq, the window's first seq): their
 * rows ascending, each text hashed by PostgreSQL. Named with its arrays read through
 * `unnestParams`, like TAILS: a returning device whose digests are not cached here was planned
 * again on every call (0.17 ms of planning against 0.45 ms of execution at a connect ramp's batch
 * sizes; docs/PERFORMANCE.md, "The sync rounds' last statements on kept plans").
 */
export const WINDOWS = preparedStatement(
  'gateway.syncStates.windows',
  `SELECT s.conversation_id, s.last_seq, s.window_from, w.seq, w.sender_id, w.client_msg_id,
          w.text_sha256
     FROM ${unnestParams('$1::text[]', '$2::bigint[]', '$3::bigint[]')}
          AS s(conversation_id, last_seq, window_from)
     CROSS JOIN LATERAL (
       SELECT m.seq, m.sender_id, m.client_msg_id,
              sha256(convert_to(CASE WHEN ${MESSAGE_GONE} THEN '' ELSE m.body END, 'UTF8'))
                AS text_sha256
         FROM messages m
        WHERE m.conversation_id = s.conversation_id
          AND m.seq >= s.window_from AND m.seq <= s.last_seq
        ORDER BY m.seq
     ) w`,
);

/**
 * The messages after each position up to its last readable seq, at most `$3` in all, ascending
 * by (conversation, seq): what a device that is behind misses. Named as WINDOWS is.
 */
const AFTER = preparedStatement(
  'gateway.syncStates.after',
  `SELECT ${MESSAGE_COLUMNS}
     FROM ${unnestParams('$1::text[]', '$2::bigint[]', '$4::bigint[]')}
          AS s(conversation_id, after_seq, until_seq)
     CROSS JOIN LATERAL (
       SELECT * FROM messages mm
        WHERE mm.conversation_id = s.conversation_id AND mm.seq > s.after_seq
          AND mm.seq <= s.until_seq
        ORDER BY mm.seq
        LIMIT $3
     ) m
     LEFT JOIN users u ON u.id = m.sender_id
    ORDER BY m.conversation_id COLLATE "C", m.seq
    LIMIT $3`,
);

interface WindowRow {
  conversation_id: string;
  last_seq: string;
  window_from: string;
  seq: string;
  sender_id: string;
  client_msg_id: string;
  text_sha256: Buffer;
}

/**
 * Read model for sync v2 (see sync/sync-round.service.ts): conversation states as the server
 * holds them. Every query reads the messages primary key (conversation_id, seq) by range, one
 * LATERAL scan per conversation, so its cost follows the number of conversations asked about and
 * the messages returned, never the size of the table. Text hashes are computed by PostgreSQL
 * (`sha256`), so a window of ten messages costs ten index rows and 32 bytes each, not their text.
 */
@Injectable()
export class ConversationStatesReadModel {
  /**
   * Digest windows of concurrent sync rounds share a query (two at a time, the rest gathered):
   * after a gateway dies, its devices' rounds arrive by the hundred on the others.
   */
  private readonly windowLoads = new CoalescedLoad<ReadablePosition, StateEntry[]>(
    (positions) => this.loadWindows(positions),
    windowKey,
    { maxInFlight: 2, maxKeys: 5000 },
  );

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What `userId` may read of each of these conversations it is a member of (others absent). */
  async ranges(
    userId: string,
    conversationIds: readonly string[],
  ): Promise<Map<string, ReadableRange>> {
    if (conversationIds.length === 0) return new Map();
    const rows = await runPrepared<PositionRow>(this.dataSource, ASKED, [userId, conversationIds]);
    return new Map(rows.map((r) => [r.id, rangeOf(r)]));
  }

  /**
   * The user's conversations other than `known`, with their last seq, at most `limit`, in id
   * order: the ones a device's complete round did not mention.
   */
  async othersOf(
    userId: string,
    known: readonly string[],
    limit: number,
  ): Promise<ReadablePosition[]> {
    const rows = await runPrepared<PositionRow>(this.dataSource, OTHERS, [userId, known, limit]);
    return rows.map(positionOf);
  }

  /**
   * `ranges` and `othersOf` in one round trip, for a round that is complete in one frame (a
   * reconnecting device's usual sync): the asked conversations' last seqs (members only) and the
   * user's other conversations, at most `limit`, in id order.
   */
  async positions(
    userId: string,
    asked: readonly string[],
    limit: number,
  ): Promise<{ ranges: Map<string, ReadableRange>; others: ReadablePosition[] }> {
    const rows = await runPrepared<PositionRow>(this.dataSource, POSITIONS, [userId, asked, limit]);
    // An asked id marks an asked row; the others come in id order.
    const askedIds = new Set(asked);
    const ranges = new Map<string, ReadableRange>();
    const others: ReadablePosition[] = [];
    for (const r of rows) {
      if (askedIds.has(r.id)) ranges.set(r.id, rangeOf(r));
      else others.push(positionOf(r));
    }
    return { ranges, others };
  }

  /**
   * The digest window of each position: its last min(10, seq - fromSeq + 1) messages as state
   * entries, ascending (stateWindow). A position whose window is not complete in the table (a seq
   * beyond the conversation's last) gets the rows that exist; the caller compares lengths.
   */
  async windows(positions: readonly ReadablePosition[]): Promise<Map<string, StateEntry[]>> {
    const asked = positions.filter((p) => p.seq >= p.fromSeq);
    const loaded = await this.windowLoads.load(asked);
    return new Map(asked.map((p, i) => [p.conversationId, loaded[i] ?? []]));
  }

  /** One query for the windows of all these positions, by window (windowKey). */
  private async loadWindows(
    positions: readonly ReadablePosition[],
  ): Promise<Map<string, StateEntry[]>> {
    const found = new Map<string, StateEntry[]>();
    const rows = await runPrepared<WindowRow>(this.dataSource, WINDOWS, windowsValues(positions));
    for (const r of rows) {
      const key = windowKey({
        conversationId: r.conversation_id,
        seq: Number(r.last_seq),
        fromSeq: Number(r.window_from),
      });
      let window = found.get(key);
      if (!window) found.set(key, (window = []));
      window.push({
        seq: Number(r.seq),
        senderId: r.sender_id,
        clientMsgId: r.client_msg_id,
        textSha256: new Uint8Array(r.text_sha256),
      });
    }
    return found;
  }

  /**
   * The last min(10, n) messages of each conversation up to its position's seq (the user's last
   * readable seq: `ranges`) and from its first readable seq, ascending: a tail.
   */
  async tails(positions: readonly ReadablePosition[]): Promise<Map<string, DeliveredMessage[]>> {
    const found = new Map<string, DeliveredMessage[]>(positions.map((p) => [p.conversationId, []]));
    if (positions.length === 0) return found;
    const rows = await runPrepared<MessageRow>(this.dataSource, TAILS, tailsValues(positions));
    for (const r of rows) found.get(r.conversation_id)?.push(toDelivered(r));
    return found;
  }

  /**
   * Messages after each position (seq > position.seq) up to its `serverLast` (the user's last
   * readable seq), ascending (conversation, seq), at most `limit` in all: what a device that is
   * behind is missing.
   */
  async after(
    positions: readonly (ConversationPosition & { serverLast: number })[],
    limit: number,
  ): Promise<DeliveredMessage[]> {
    if (positions.length === 0 || limit <= 0) return [];
    const rows = await runPrepared<MessageRow>(this.dataSource, AFTER, [
      positions.map((p) => p.conversationId),
      positions.map((p) => p.seq),
      limit,
      positions.map((p) => p.serverLast),
    ]);
    return rows.map(toDelivered);
  }
}

/** WINDOWS' parameters for these positions (each at least its first readable seq). */
export function windowsValues(positions: readonly ReadablePosition[]): unknown[] {
  return [
    positions.map((p) => p.conversationId),
    positions.map((p) => p.seq),
    positions.map((p) => stateWindow(p.seq, p.fromSeq).from),
  ];
}

/** TAILS' parameters: each position's conversation, its first readable seq and its last. */
export function tailsValues(positions: readonly ReadablePosition[]): unknown[] {
  return [
    positions.map((p) => p.conversationId),
    positions.map((p) => p.fromSeq),
    positions.map((p) => p.seq),
  ];
}

function rangeOf(r: PositionRow): ReadableRange {
  return { fromSeq: Number(r.visible_from), lastSeq: Number(r.last_seq) };
}
