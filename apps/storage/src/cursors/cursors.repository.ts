import { Injectable } from '@nestjs/common';
import { preparedStatement, runPrepared, unnestParams } from '@parley/common';
import { DataSource } from 'typeorm';

export interface DeliveredCursor {
  conversationId: string;
  userId: string;
  deviceId: string;
  seq: number;
}

export interface ReadCursor {
  conversationId: string;
  userId: string;
  seq: number;
}

export interface Membership {
  conversationId: string;
  userId: string;
  /** A former member (left or removed): it may still move its read cursor, up to its leaving. */
  former?: boolean;
}

/**
 * The cursor step's look-ups by key, their arrays read through `unnestParams`: one kept generic
 * plan (a probe per pair) for a batch of any size, where a batch of fewer than about ten pairs was
 * planned again on every call, and a few dozen got a custom plan that hashed a scan of every
 * membership.
 */
const FIND_MEMBERSHIPS = preparedStatement(
  'storage.cursors.findMemberships',
  `SELECT m.conversation_id, m.user_id::text AS user_id, m.left_seq IS NOT NULL AS former
     FROM conversation_members m
     JOIN ${unnestParams('$1::text[]', '$2::uuid[]')} AS p(conversation_id, user_id)
       ON m.conversation_id = p.conversation_id AND m.user_id = p.user_id`,
);

/**
 * One member's cursors in a conversation after a cursor step: the highest seq some device of the
 * member holds, and the highest it read. What the other members' "delivered" and "read" marks
 * are derived from.
 */
export interface MemberReceipt {
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/**
 * A member's receipt that moved, with the members told of it: those whose messages' marks it
 * moved (see ADVANCE).
 */
export interface MovedReceipt extends MemberReceipt {
  memberIds: string[];
  /** The member turned read receipts off: others are told its delivered cursor only. */
  readHidden: boolean;
  /** The members who turned read receipts off: they are told nobody's read cursor. */
  blindIds: string[];
}

/**
 * Above this many seqs between a member's old and new cursors, its receipt goes to every member
 * rather than to the senders of the messages in between (a bounded scan of that range).
 */
export const RECEIPT_SENDER_SCAN_LIMIT = 1000;

/**
 * A cursor step's writes, in ONE statement (so one implicit transaction and one round trip): the
 * devices' delivered cursors (`device_cursors`, $5-$8) and the members' (`conversation_members`,
 * $1-$4); both or neither are written. Cursors only move forward and never past the
 * conversation's last seq, so a replayed step is harmless; a missing conversation or a
 * non-member moves nothing. The devices' upsert is a data-modifying CTE the rest never reads
 * (PostgreSQL runs one to completion regardless). Both parts read their arrays through
 * `unnestParams` (one kept generic plan: FIND_MEMBERSHIPS); with the members' arrays bare, a
 * custom plan for one pair looked cheaper than the generic one wherever the tables had grown
 * (the generic plan guessed ten pairs), and the statement was planned again on every call.
 *
 * Members' delivered and read cursors, forward only and capped at the last seq; reading implies
 * delivery. Only rows that moved come back (a replayed or stale move returns nothing); a channel's
 * move is kept (its unread count) but neither returned nor logged: a channel has no read
 * receipts. So is a former member's (it reads what it kept, up to the event that ended its
 * membership, which clears its unread count; nobody is told). Each move is also logged with its time (`receipt_moves`: one row per cursor that
 * reached a new seq; the one that did not move conflicts and is skipped).
 *
 * Each moved receipt comes with who is told (`member_ids`): the current members who sent a
 * message between the member's old and new cursors, since a move changes the marks of those
 * messages only (every member, past RECEIPT_SENDER_SCAN_LIMIT seqs). So a message read by 200
 * members tells its sender 200 times, not every member 200 times. And with who may not see read
 * state: the mover's read receipts setting, and the told members who turned theirs off
 * (`users.read_receipts`, the accounts' column, read here at fan-out time so a change applies to
 * the very next move, with no event to wait for).
 */
export const ADVANCE = preparedStatement(
  'storage.cursors.advance',
  `WITH devices AS (
     INSERT INTO device_cursors (user_id, device_id, conversation_id, delivered_seq, updated_at)
     SELECT d.user_id, d.device_id, d.conversation_id, LEAST(d.seq, c.last_seq), now()
       FROM ${unnestParams('$5::uuid[]', '$6::text[]', '$7::text[]', '$8::bigint[]')}
            AS d(user_id, device_id, conversation_id, seq)
       JOIN conversations c ON c.id = d.conversation_id
     ON CONFLICT (user_id, device_id, conversation_id) DO UPDATE
       SET delivered_seq = GREATEST(device_cursors.delivered_seq, EXCLUDED.delivered_seq),
           updated_at = now()
   ), u AS (
     SELECT u.conversation_id, u.user_id, c.kind = 'channel' AS channel,
            LEAST(GREATEST(u.delivered, u.read), c.last_seq) AS delivered,
            LEAST(u.read, c.last_seq) AS read
       FROM ${unnestParams('$1::text[]', '$2::uuid[]', '$3::bigint[]', '$4::bigint[]')}
            AS u(conversation_id, user_id, delivered, read)
       JOIN conversations c ON c.id = u.conversation_id
   ), prior AS (
     -- The cursors before this statement's update (sibling CTEs see the same snapshot).
     SELECT m.conversation_id, m.user_id, m.delivered_seq, m.read_seq
       FROM conversation_members m
       JOIN u ON m.conversation_id = u.conversation_id AND m.user_id = u.user_id
   ), moved AS (
     -- A former member's cursors stop at the event that ended its membership.
     UPDATE conversation_members m
        SET delivered_seq = GREATEST(m.delivered_seq,
                                     LEAST(u.delivered, coalesce(m.left_seq, u.delivered))),
            read_seq = GREATEST(m.read_seq, LEAST(u.read, coalesce(m.left_seq, u.read)))
       FROM u
      WHERE m.conversation_id = u.conversation_id AND m.user_id = u.user_id
        AND (m.delivered_seq < LEAST(u.delivered, coalesce(m.left_seq, u.delivered))
             OR m.read_seq < LEAST(u.read, coalesce(m.left_seq, u.read)))
      RETURNING m.conversation_id, m.user_id, m.delivered_seq, m.read_seq,
                u.channel OR m.left_seq IS NOT NULL AS untold
   ), logged AS (
     INSERT INTO receipt_moves (conversation_id, user_id, kind, seq, moved_at)
     SELECT moved.conversation_id, moved.user_id, k.kind, k.seq, now()
       FROM moved
       CROSS JOIN LATERAL (VALUES ('delivered', moved.delivered_seq), ('read', moved.read_seq))
            AS k(kind, seq)
      WHERE k.seq > 0 AND NOT moved.untold
     ON CONFLICT DO NOTHING
   )
   SELECT moved.conversation_id, moved.user_id::text AS user_id, moved.delivered_seq,
          moved.read_seq,
          EXISTS (SELECT 1 FROM users p
                   WHERE p.id = moved.user_id AND NOT p.read_receipts) AS read_hidden,
          coalesce(told.member_ids, '{}') AS member_ids, coalesce(told.blind_ids, '{}') AS blind_ids
     FROM moved
     JOIN prior ON prior.conversation_id = moved.conversation_id AND prior.user_id = moved.user_id
     -- The seqs whose marks moved, (old delivered, new delivered] and (old read, new read], lie
     -- in (lo, hi]: the messages scan reads that range of the primary key.
     CROSS JOIN LATERAL (
       SELECT CASE WHEN moved.read_seq > prior.read_seq THEN prior.read_seq
                   ELSE prior.delivered_seq END AS lo,
              moved.delivered_seq AS hi
     ) r
     CROSS JOIN LATERAL (
       SELECT array_agg(o.user_id::text) AS member_ids,
              array_agg(o.user_id::text) FILTER (WHERE NOT o.shows) AS blind_ids
         FROM (
           SELECT o.user_id, coalesce(p.read_receipts, true) AS shows
             FROM conversation_members o
             LEFT JOIN users p ON p.id = o.user_id
            WHERE r.hi - r.lo > ${RECEIPT_SENDER_SCAN_LIMIT}
              AND o.conversation_id = moved.conversation_id AND o.left_seq IS NULL
           UNION ALL
           SELECT o.user_id, coalesce(p.read_receipts, true)
             FROM (SELECT DISTINCT s.sender_id FROM messages s
                    WHERE r.hi - r.lo <= ${RECEIPT_SENDER_SCAN_LIMIT}
                      AND s.conversation_id = moved.conversation_id
                      AND s.seq > r.lo AND s.seq <= r.hi AND s.event IS NULL
                      AND (s.seq > prior.delivered_seq OR s.seq <= moved.read_seq)) s
             JOIN conversation_members o
               ON o.conversation_id = moved.conversation_id AND o.user_id = s.sender_id
              AND o.left_seq IS NULL
             LEFT JOIN users p ON p.id = o.user_id
         ) o
        WHERE o.user_id <> moved.user_id
     ) told
    WHERE NOT moved.untold`,
);

/**
 * device_cursors and conversation_members' delivered_seq and read_seq in PostgreSQL: a cursor
 * step is two round trips, the membership look-up and then ADVANCE.
 */
@Injectable()
export class CursorsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Which of these (conversation, user) pairs are memberships, current or former. */
  async findMemberships(pairs: readonly Membership[]): Promise<Membership[]> {
    if (pairs.length === 0) return [];
    const rows = await runPrepared<{ conversation_id: string; user_id: string; former: boolean }>(
      this.dataSource,
      FIND_MEMBERSHIPS,
      [pairs.map((p) => p.conversationId), pairs.map((p) => p.userId)],
    );
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      userId: r.user_id,
      former: r.former,
    }));
  }

  /**
   * Moves devices' delivered cursors and members' delivered and read cursors forward, all in ONE
   * statement (ADVANCE): both are written or neither. Each (user, device, conversation) and each
   * (conversation, user) at most once (callers merge: cursor-persist.plan); non-members and
   * missing conversations are ignored. Returns the members' receipts that moved, with who is told.
   */
  async advance(
    devices: readonly DeliveredCursor[],
    members: readonly MemberReceipt[],
  ): Promise<MovedReceipt[]> {
    if (devices.length === 0 && members.length === 0) return [];
    const rows = await runPrepared<{
      conversation_id: string;
      user_id: string;
      delivered_seq: string;
      read_seq: string;
      member_ids: string[];
      read_hidden: boolean;
      blind_ids: string[];
    }>(this.dataSource, ADVANCE, advanceValues(devices, members));
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      userId: r.user_id,
      deliveredSeq: Number(r.delivered_seq),
      readSeq: Number(r.read_seq),
      memberIds: r.member_ids,
      readHidden: r.read_hidden,
      blindIds: r.blind_ids,
    }));
  }
}

/** ADVANCE's parameters (exported for tools/bench/pg-instructions, which counts its cost). */
export function advanceValues(
  devices: readonly DeliveredCursor[],
  members: readonly MemberReceipt[],
): unknown[] {
  return [
    members.map((m) => m.conversationId),
    members.map((m) => m.userId),
    members.map((m) => String(m.deliveredSeq)),
    members.map((m) => String(m.readSeq)),
    devices.map((c) => c.userId),
    devices.map((c) => c.deviceId),
    devices.map((c) => c.conversationId),
    devices.map((c) => String(c.seq)),
  ];
}
