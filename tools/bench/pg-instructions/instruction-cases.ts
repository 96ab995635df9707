import type { PreparedStatement } from '@parley/common';
import type { ClientBase } from 'pg';
import {
  ASKED,
  OTHERS,
  POSITIONS,
  type ReadablePosition,
  TAILS,
  tailsValues,
  WINDOWS,
  windowsValues,
} from '../../../apps/gateway/src/read-model/conversation-states.read-model';
import { ADVANCE, advanceValues } from '../../../apps/storage/src/cursors/cursors.repository';
import {
  APPEND_AS_MEMBERS,
  appendValues,
  LOOK_UP,
  lookUpValues,
} from '../../../apps/storage/src/messages/messages.repository';

/**
 * A hot statement measured by pg-instructions: the statement as its repository prepares it, and
 * the parameters of its calls, chosen from the database it runs on.
 */
export interface InstructionCase {
  readonly name: string;
  readonly statement: PreparedStatement;
  /**
   * The parameters of call `i` (warm-up calls first; a write's calls must not collide), for the
   * user `userId` (a read of theirs, or a send of theirs).
   */
  plan(db: ClientBase, userId: string): Promise<(i: number) => unknown[]>;
}

/** The most rows a sync round reads (the gateway's default SYNC_ROUND_MAX_STATES). */
const ROUND_MAX_STATES = 10_000;

/** The user with the most current memberships (ties: the least id): the dearest connect. */
export async function busiestUser(db: ClientBase): Promise<string> {
  const { rows } = await db.query<{ user_id: string }>(
    `SELECT user_id::text FROM conversation_members WHERE left_seq IS NULL
      GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1`,
  );
  if (rows.length === 0) throw new Error('the database holds no conversation members');
  return rows[0].user_id;
}

/** The user's conversations in id order ("C"), as a device that knows them all would ask. */
async function conversationsOf(db: ClientBase, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT conversation_id AS id FROM conversation_members
      WHERE user_id = $1 AND left_seq IS NULL ORDER BY conversation_id COLLATE "C"`,
    [userId],
  );
  return rows.map((r) => r.id);
}

/**
 * What the user may read of each of their conversations with anything in it (the last readable
 * seq at least the first), in id order ("C"): the positions of a device that holds them all.
 */
async function readablePositionsOf(db: ClientBase, userId: string): Promise<ReadablePosition[]> {
  const { rows } = await db.query<{ id: string; seq: string; from_seq: string }>(
    `SELECT c.id, coalesce(cm.left_seq, c.last_seq) AS seq, cm.visible_from AS from_seq
       FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
      WHERE cm.user_id = $1 AND coalesce(cm.left_seq, c.last_seq) >= cm.visible_from
      ORDER BY c.id COLLATE "C"`,
    [userId],
  );
  if (rows.length === 0) throw new Error(`user ${userId} can read no message`);
  return rows.map((r) => ({
    conversationId: r.id,
    seq: Number(r.seq),
    fromSeq: Number(r.from_seq),
  }));
}

export const INSTRUCTION_CASES: readonly InstructionCase[] = [
  {
    // A returning device's round that names none of its conversations (a new device's first).
    name: 'others',
    statement: OTHERS,
    plan: (_db, userId) => Promise.resolve(() => [userId, [], ROUND_MAX_STATES]),
  },
  {
    // A returning device's round that names every conversation it knows.
    name: 'positions',
    statement: POSITIONS,
    async plan(db, userId) {
      const asked = await conversationsOf(db, userId);
      return () => [userId, asked, ROUND_MAX_STATES];
    },
  },
  {
    // A frame of a round that is not complete in one (or the conversations a mismatched summary
    // did not read): three of the user's conversations, by key.
    name: 'asked',
    statement: ASKED,
    async plan(db, userId) {
      const asked = (await conversationsOf(db, userId)).slice(0, 3);
      return () => [userId, asked];
    },
  },
  {
    // A returning device whose digests the gateway does not remember (it was restarted, or the
    // device is another gateway's after a failover): every window of ten messages it names.
    name: 'windows',
    statement: WINDOWS,
    async plan(db, userId) {
      const values = windowsValues(await readablePositionsOf(db, userId));
      return () => values;
    },
  },
  {
    // A new device's first round: the last ten messages of each of the user's conversations.
    name: 'tails',
    statement: TAILS,
    async plan(db, userId) {
      const values = tailsValues(await readablePositionsOf(db, userId));
      return () => values;
    },
  },
  {
    // Storage's append of one message to a conversation of two or more members (not a channel).
    name: 'appendAsMembers',
    statement: APPEND_AS_MEMBERS,
    async plan(db, senderId) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT c.id FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
          WHERE cm.user_id = $1 AND cm.left_seq IS NULL AND c.kind <> 'channel'
          ORDER BY c.kind = 'direct' DESC, c.id COLLATE "C" LIMIT 1`,
        [senderId],
      );
      if (rows.length === 0) throw new Error(`user ${senderId} is in no conversation to write to`);
      const conversationId = rows[0].id;
      const body = 'a message of about the length people type, measured by pg-instructions';
      return (i) =>
        appendValues(
          [{ conversationId, count: 1 }],
          [{ conversationId, offset: 0, senderId, clientMsgId: `pg-instructions-${i}`, body }],
        );
    },
  },
  {
    // Storage's cursor step for one device of the user reading one more message of one of its
    // conversations (its delivered cursor and the member's delivered and read cursors, told to
    // the message's sender): call i reads the i-th of the user's unread messages, conversation by
    // conversation.
    name: 'advance',
    statement: ADVANCE,
    async plan(db, userId) {
      const { rows } = await db.query<{ id: string; seq: string }>(
        `SELECT c.id, s.seq
           FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
          CROSS JOIN LATERAL generate_series(cm.read_seq + 1, c.last_seq) AS s(seq)
          WHERE cm.user_id = $1 AND cm.left_seq IS NULL AND c.kind <> 'channel'
          ORDER BY c.id COLLATE "C", s.seq`,
        [userId],
      );
      return (i) => {
        if (i >= rows.length) {
          throw new Error(
            `user ${userId} has ${rows.length} unread messages: too few for ${i + 1} reads`,
          );
        }
        const [conversationId, seq] = [rows[i].id, Number(rows[i].seq)];
        return advanceValues(
          [{ conversationId, userId, deviceId: 'pg-instructions', seq }],
          [{ conversationId, userId, deliveredSeq: seq, readSeq: seq }],
        );
      };
    },
  },
  {
    // Storage's look-up of a replayed batch (the path of the bursts of retries after a crash or
    // a failover): one of the user's stored messages by its sender key, and its conversation's
    // members. Call i asks for the i-th of the user's first 200 messages, round robin.
    name: 'lookUp',
    statement: LOOK_UP,
    async plan(db, senderId) {
      const { rows } = await db.query<{ conversation_id: string; client_msg_id: string }>(
        `SELECT conversation_id, client_msg_id FROM messages
          WHERE sender_id = $1
          ORDER BY conversation_id COLLATE "C", seq LIMIT 200`,
        [senderId],
      );
      if (rows.length === 0) throw new Error(`user ${senderId} has sent no message to look up`);
      return (i) => {
        const row = rows[i % rows.length];
        return lookUpValues([{ senderId, clientMsgId: row.client_msg_id }], [row.conversation_id]);
      };
    },
  },
];

/**
 * The types PostgreSQL infers for `statement`'s parameters (`text[]`, `bigint`, ...), as it
 * prepares it for the services' pools (which bind every parameter untyped).
 */
export async function parameterTypes(
  db: ClientBase,
  statement: PreparedStatement,
): Promise<string[]> {
  const name = 'pg_instructions_types';
  await db.query(`PREPARE ${name} AS ${statement.text}`);
  try {
    const { rows } = await db.query<{ types: string[] }>(
      'SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = $1',
      [name],
    );
    return rows[0].types;
  } finally {
    await db.query(`DEALLOCATE ${name}`);
  }
}

/** The cases named (all when `names` is empty), in the order given. */
export function instructionCases(names: readonly string[]): InstructionCase[] {
  if (names.length === 0) return [...INSTRUCTION_CASES];
  return names.map((name) => {
    const found = INSTRUCTION_CASES.find((c) => c.name === name);
    if (!found) {
      const known = INSTRUCTION_CASES.map((c) => c.name).join(', ');
      throw new Error(`no case "${name}" (cases: ${known})`);
    }
    return found;
  });
}
