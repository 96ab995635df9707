import { Injectable } from '@nestjs/common';
import type { GroupChange } from '@parley/common';
import {
  CHANNEL_KIND,
  type ConversationEvent,
  conversationEventSchema,
  describeEvent,
  ErrorCode,
  type EventUser,
  historyVisibilitySchema,
} from '@parley/protocol';
import { DataSource, EntityManager } from 'typeorm';
import {
  type GroupDecision,
  type GroupMember,
  type GroupRefusal,
  type GroupState,
  planGroupChange,
} from './group-change.plan';

/**
 * A silent change applied (joining, leaving, adding or removing in a channel): no seq, no message.
 * `seq` is the channel's last seq when it took effect (what the origin's ack carries).
 */
export interface NotedChange {
  seq: number;
  serverTime: Date;
  /** The users it made members, and those whose membership it ended. */
  joined: string[];
  left: string[];
}

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
  /** It is a channel's: fanned out to the channel's subscribers, not member by member. */
  channel: boolean;
  /** The users whose role it changed in a channel (their gateways re-check them). */
  channelUserIds: string[];
}

export type ChangeOutcome =
  { refused: GroupRefusal } | { stored: AppliedChange } | { noted: NotedChange };

export interface GroupChangeRequest {
  conversationId: string;
  actor: EventUser;
  clientMsgId: string;
  change: GroupChange;
  maxMembers: number;
  /** The timers (seconds) disappearing messages may have here. */
  timers: readonly number[];
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
    const named = 'members' in change ? change.members.map((u) => u.id) : [];
    const state = await this.lockState(tx, conversationId, [actor.id, ...named]);
    if (known[0]) {
      return {
        stored: {
          seq: Number(known[0].seq),
          serverTime: known[0].server_time,
          text: known[0].body,
          event: conversationEventSchema.parse(known[0].event),
          recipientIds: state?.members.map((m) => m.userId) ?? [],
          applied: false,
          channel: state?.kind === CHANNEL_KIND,
          channelUserIds: [],
        },
      };
    }
    const plan = planGroupChange(state, actor, change, request.maxMembers, request.timers);
    if ('refused' in plan) return plan;
    const { decision } = plan;
    const { event } = decision;
    if (!event) return { noted: await this.applySilently(tx, conversationId, decision) };

    const [seqRow] = decision.kind
      ? await tx.query<{ last_seq: string; server_time: Date }[]>(
          `INSERT INTO conversations (id, kind, title, history, public, last_seq, last_message_at)
           VALUES ($1, $2, $3, $4, $5, 1, now())
           RETURNING last_seq, date_trunc('milliseconds', now()) AS server_time`,
          [
            conversationId,
            decision.kind,
            decision.title,
            decision.history,
            decision.public ?? false,
          ],
        )
      : // A CTE, so the driver answers rows (an UPDATE alone comes back as [rows, count]).
        await tx.query<{ last_seq: string; server_time: Date }[]>(
          `WITH moved AS (
               UPDATE conversations
                  SET last_seq = last_seq + 1, last_message_at = now(),
                      title = coalesce($2, title), history = coalesce($3, history),
                      timer_seconds = CASE WHEN $4::boolean THEN $5::integer ELSE timer_seconds END
                WHERE id = $1
               RETURNING last_seq, date_trunc('milliseconds', now()) AS server_time)
             SELECT * FROM moved`,
          [
            conversationId,
            decision.title ?? null,
            decision.history ?? null,
            decision.timer !== undefined,
            decision.timer ?? null,
          ],
        );
    const seq = Number(seqRow.last_seq);

    await this.join(tx, conversationId, decision.join, seq);
    await this.leave(tx, conversationId, decision.leave, seq);
    if (decision.roles.length > 0) {
      await tx.query(
        `UPDATE conversation_members m SET role = r.role
           FROM unnest($2::uuid[], $3::text[]) AS r(user_id, role)
          WHERE m.conversation_id = $1 AND m.user_id = r.user_id`,
        [conversationId, decision.roles.map((r) => r.userId), decision.roles.map((r) => r.role)],
      );
    }
    const text = describeEvent(actor.username, event);
    await tx.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, server_time, body, event)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [conversationId, seq, actor.id, clientMsgId, seqRow.server_time, text, event],
    );
    const channel = (decision.kind ?? state?.kind) === CHANNEL_KIND;
    // A channel's event goes to its subscribers on every box; the users it changes are also told
    // directly (their sockets may not be subscribed yet: the creator's, a promoted member's).
    const changedUsers = [
      ...decision.join.map((j) => j.user.id),
      ...decision.roles.map((r) => r.userId),
    ];
    const recipients = new Set(
      channel ? changedUsers : (state?.members.map((m) => m.userId) ?? []),
    );
    if (!channel) for (const j of decision.join) recipients.add(j.user.id);
    return {
      stored: {
        seq,
        serverTime: seqRow.server_time,
        text,
        event,
        recipientIds: [...recipients],
        applied: true,
        channel,
        channelUserIds: channel ? decision.roles.map((r) => r.userId) : [],
      },
    };
  }

  /**
   * A channel's silent change: the membership rows only, at the channel's last seq (a joiner reads
   * the whole history with nothing unread; a leaver reads up to here).
   */
  private async applySilently(
    tx: EntityManager,
    conversationId: string,
    decision: GroupDecision,
  ): Promise<NotedChange> {
    const [row] = await tx.query<{ last_seq: string; server_time: Date }[]>(
      `SELECT last_seq, date_trunc('milliseconds', now()) AS server_time
         FROM conversations WHERE id = $1`,
      [conversationId],
    );
    const lastSeq = Number(row.last_seq);
    await this.join(tx, conversationId, decision.join, lastSeq, lastSeq);
    await this.leave(tx, conversationId, decision.leave, lastSeq);
    return {
      seq: lastSeq,
      serverTime: row.server_time,
      joined: decision.join.map((j) => j.user.id),
      left: [...decision.leave],
    };
  }

  /**
   * Members joining at `seq`: from it (`fromEvent`) or from 1. Their receipt cursors start at
   * `caughtUpTo` when given (a channel's joiner has nothing unread), else just below the first
   * seq they read.
   */
  private async join(
    tx: EntityManager,
    conversationId: string,
    joining: GroupDecision['join'],
    seq: number,
    caughtUpTo?: number,
  ): Promise<void> {
    if (joining.length > 0) {
      // Joining order is the order named (the creator first): the succession follows it. A
      // member reading from the event has nothing before it to receive or read: its receipt
      // cursors start just below, so it neither counts as unread nor holds back older marks.
      await tx.query(
        `INSERT INTO conversation_members
           (conversation_id, user_id, username, role, joined_at, visible_from, delivered_seq, read_seq)
         SELECT $1, j.user_id, j.username, j.role, clock_timestamp() + j.n * interval '1 microsecond',
                j.visible_from, coalesce($6, j.visible_from - 1), coalesce($6, j.visible_from - 1)
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[])
                WITH ORDINALITY AS j(user_id, username, role, visible_from, n)
         ON CONFLICT (conversation_id, user_id) DO UPDATE
           SET left_seq = NULL, role = EXCLUDED.role, username = EXCLUDED.username,
               joined_at = EXCLUDED.joined_at, visible_from = EXCLUDED.visible_from,
               delivered_seq = GREATEST(conversation_members.delivered_seq, EXCLUDED.delivered_seq),
               read_seq = GREATEST(conversation_members.read_seq, EXCLUDED.read_seq)`,
        [
          conversationId,
          joining.map((j) => j.user.id),
          joining.map((j) => j.user.username),
          joining.map((j) => j.role),
          joining.map((j) => (j.fromEvent ? seq : 1)),
          caughtUpTo ?? null,
        ],
      );
    }
  }

  /** Memberships ending at `seq` (the former member reads up to it). */
  private async leave(
    tx: EntityManager,
    conversationId: string,
    leaving: readonly string[],
    seq: number,
  ): Promise<void> {
    if (leaving.length > 0) {
      await tx.query(
        `UPDATE conversation_members SET left_seq = $3, role = 'member'
          WHERE conversation_id = $1 AND user_id = ANY($2::uuid[])`,
        [conversationId, leaving, seq],
      );
    }
  }

  /**
   * The conversation under its row lock, with its current members (of a channel, only the admins
   * and the users named: a channel's membership is never read whole); null if it does not exist.
   */
  private async lockState(
    tx: EntityManager,
    conversationId: string,
    named: readonly string[],
  ): Promise<GroupState | null> {
    const [conversation] = await tx.query<
      {
        kind: string;
        title: string | null;
        history: string | null;
        public: boolean;
        timer_seconds: number | null;
      }[]
    >(
      `SELECT kind, title, history, public, timer_seconds FROM conversations WHERE id = $1 FOR UPDATE`,
      [conversationId],
    );
    if (!conversation) return null;
    const members = await tx.query<{ user_id: string; username: string | null; role: string }[]>(
      `SELECT user_id, username, role FROM conversation_members
        WHERE conversation_id = $1 AND left_seq IS NULL
          AND ($2 <> 'channel' OR role = 'admin' OR user_id = ANY($3::uuid[]))
        ORDER BY joined_at, user_id`,
      [conversationId, conversation.kind, named],
    );
    return {
      id: conversationId,
      kind: conversation.kind,
      public: conversation.public,
      title: conversation.title,
      history: historyVisibilitySchema.catch('all').parse(conversation.history),
      timer: conversation.timer_seconds,
      members: members.map((m): GroupMember => ({
        userId: m.user_id,
        username: m.username,
        role: m.role === 'admin' ? 'admin' : 'member',
      })),
    };
  }
}
