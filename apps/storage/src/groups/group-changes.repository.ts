import { Injectable } from '@nestjs/common';
import type { GroupChange } from '@parley/common';
import {
  type ConversationEvent,
  conversationEventSchema,
  describeEvent,
  ErrorCode,
  type EventUser,
  historyVisibilitySchema,
} from '@parley/protocol';
import { DataSource, EntityManager } from 'typeorm';
import {
  type GroupMember,
  type GroupRefusal,
  type GroupState,
  planGroupChange,
} from './group-change.plan';

/** A change applied: the event message it became, and who must hear of it. */
export interface AppliedChange {
  seq: number;
  serverTime: Date;
  text: string;
  event: ConversationEvent;
  /** Members before and after the change (a removed member is told of the removal). */
  recipientIds: string[];
  /** False when the (sender, clientMsgId) was already stored: a retry, nothing changed. */
  applied: boolean;
}

export type ChangeOutcome = { refused: GroupRefusal } | { stored: AppliedChange };

export interface GroupChangeRequest {
  conversationId: string;
  actor: EventUser;
  clientMsgId: string;
  change: GroupChange;
  maxMembers: number;
}

interface StoredRow {
  conversation_id: string;
  seq: string;
  server_time: Date;
  body: string;
  event: unknown;
}

/**
 * The group-change step's transaction: the conversation's row lock (so no send or other change
 * of it commits in between), the current members, the decision (planGroupChange), then the
 * membership rows, the seq and the event message, all or nothing. A change is rare next to a
 * message, so it is one transaction of a few statements, not part of the persist step's batched
 * statements.
 */
@Injectable()
export class GroupChangesRepository {
  constructor(private readonly dataSource: DataSource) {}

  apply(request: GroupChangeRequest): Promise<ChangeOutcome> {
    return this.dataSource.transaction((tx) => this.applyIn(tx, request));
  }

  private async applyIn(tx: EntityManager, request: GroupChangeRequest): Promise<ChangeOutcome> {
    const { conversationId, actor, clientMsgId, change } = request;
    const known = await tx.query<StoredRow[]>(
      `SELECT conversation_id, seq, server_time, body, event FROM messages
        WHERE sender_id = $1 AND client_msg_id = $2`,
      [actor.id, clientMsgId],
    );
    if (known[0] && (known[0].conversation_id !== conversationId || known[0].event === null)) {
      return {
        refused: { code: ErrorCode.ValidationFailed, message: 'This clientMsgId was already used' },
      };
    }
    const state = await this.lockState(tx, conversationId);
    if (known[0]) {
      return {
        stored: {
          seq: Number(known[0].seq),
          serverTime: known[0].server_time,
          text: known[0].body,
          event: conversationEventSchema.parse(known[0].event),
          recipientIds: state?.members.map((m) => m.userId) ?? [],
          applied: false,
        },
      };
    }
    const plan = planGroupChange(state, actor, change, request.maxMembers);
    if ('refused' in plan) return plan;
    const { decision } = plan;

    const [seqRow] =
      change.op === 'create'
        ? await tx.query<{ last_seq: string; server_time: Date }[]>(
            `INSERT INTO conversations (id, kind, title, history, last_seq, last_message_at)
             VALUES ($1, 'group', $2, $3, 1, now())
             RETURNING last_seq, date_trunc('milliseconds', now()) AS server_time`,
            [conversationId, decision.title, decision.history],
          )
        : // A CTE, so the driver answers rows (an UPDATE alone comes back as [rows, count]).
          await tx.query<{ last_seq: string; server_time: Date }[]>(
            `WITH moved AS (
               UPDATE conversations
                  SET last_seq = last_seq + 1, last_message_at = now(),
                      title = coalesce($2, title), history = coalesce($3, history)
                WHERE id = $1
               RETURNING last_seq, date_trunc('milliseconds', now()) AS server_time)
             SELECT * FROM moved`,
            [conversationId, decision.title ?? null, decision.history ?? null],
          );
    const seq = Number(seqRow.last_seq);

    if (decision.join.length > 0) {
      // Joining order is the order named (the creator first): the succession follows it. A
      // member reading from the event has nothing before it to receive or read: its receipt
      // cursors start just below, so it neither counts as unread nor holds back older marks.
      await tx.query(
        `INSERT INTO conversation_members
           (conversation_id, user_id, username, role, joined_at, visible_from, delivered_seq, read_seq)
         SELECT $1, j.user_id, j.username, j.role, clock_timestamp() + j.n * interval '1 microsecond',
                j.visible_from, j.visible_from - 1, j.visible_from - 1
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[])
                WITH ORDINALITY AS j(user_id, username, role, visible_from, n)
         ON CONFLICT (conversation_id, user_id) DO UPDATE
           SET left_seq = NULL, role = EXCLUDED.role, username = EXCLUDED.username,
               joined_at = EXCLUDED.joined_at, visible_from = EXCLUDED.visible_from,
               delivered_seq = GREATEST(conversation_members.delivered_seq, EXCLUDED.delivered_seq),
               read_seq = GREATEST(conversation_members.read_seq, EXCLUDED.read_seq)`,
        [
          conversationId,
          decision.join.map((j) => j.user.id),
          decision.join.map((j) => j.user.username),
          decision.join.map((j) => j.role),
          decision.join.map((j) => (j.fromEvent ? seq : 1)),
        ],
      );
    }
    if (decision.leave.length > 0) {
      await tx.query(
        `UPDATE conversation_members SET left_seq = $3, role = 'member'
          WHERE conversation_id = $1 AND user_id = ANY($2::uuid[])`,
        [conversationId, decision.leave, seq],
      );
    }
    if (decision.roles.length > 0) {
      await tx.query(
        `UPDATE conversation_members m SET role = r.role
           FROM unnest($2::uuid[], $3::text[]) AS r(user_id, role)
          WHERE m.conversation_id = $1 AND m.user_id = r.user_id`,
        [conversationId, decision.roles.map((r) => r.userId), decision.roles.map((r) => r.role)],
      );
    }
    const text = describeEvent(actor.username, decision.event);
    await tx.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, server_time, body, event)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [conversationId, seq, actor.id, clientMsgId, seqRow.server_time, text, decision.event],
    );
    const recipients = new Set(state?.members.map((m) => m.userId) ?? []);
    for (const j of decision.join) recipients.add(j.user.id);
    return {
      stored: {
        seq,
        serverTime: seqRow.server_time,
        text,
        event: decision.event,
        recipientIds: [...recipients],
        applied: true,
      },
    };
  }

  /** The conversation under its row lock, with its current members; null if it does not exist. */
  private async lockState(tx: EntityManager, conversationId: string): Promise<GroupState | null> {
    const [conversation] = await tx.query<
      { kind: string; title: string | null; history: string | null }[]
    >(`SELECT kind, title, history FROM conversations WHERE id = $1 FOR UPDATE`, [conversationId]);
    if (!conversation) return null;
    const members = await tx.query<{ user_id: string; username: string | null; role: string }[]>(
      `SELECT user_id, username, role FROM conversation_members
        WHERE conversation_id = $1 AND left_seq IS NULL
        ORDER BY joined_at, user_id`,
      [conversationId],
    );
    return {
      kind: conversation.kind,
      title: conversation.title,
      history: historyVisibilitySchema.catch('all').parse(conversation.history),
      members: members.map((m): GroupMember => ({
        userId: m.user_id,
        username: m.username,
        role: m.role === 'admin' ? 'admin' : 'member',
      })),
    };
  }
}
