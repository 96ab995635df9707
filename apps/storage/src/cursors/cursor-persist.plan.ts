import { Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';
import type { DeliveredCursor, MemberReceipt, Membership, ReadCursor } from './cursors.repository';

export type CursorEventEnvelope = TopicEvent<typeof Topic.Cursors>;

export interface CursorPlan {
  /** Highest delivered seq per (user, device, conversation). */
  delivered: DeliveredCursor[];
  /** Highest read seq per (conversation, user). */
  read: ReadCursor[];
  /** Every (conversation, user) the batch names, to check membership. */
  memberships: Membership[];
}

const membershipKey = (conversationId: string, userId: string): string =>
  `${conversationId}\u0000${userId}`;

/**
 * Collapses a batch of cursor events (single moves, and gateways' `cursors.moved` records) to the
 * highest seq per cursor (an upsert touches a row once).
 */
export function planCursors(events: readonly CursorEventEnvelope[]): CursorPlan {
  const delivered = new Map<string, DeliveredCursor>();
  const read = new Map<string, ReadCursor>();
  const memberships = new Map<string, Membership>();
  const member = (conversationId: string, userId: string) =>
    memberships.set(membershipKey(conversationId, userId), { conversationId, userId });
  const deliver = ({ conversationId, userId, deviceId, seq }: DeliveredCursor) => {
    member(conversationId, userId);
    const key = `${membershipKey(conversationId, userId)}\u0000${deviceId}`;
    const known = delivered.get(key);
    if (!known || seq > known.seq) delivered.set(key, { conversationId, userId, deviceId, seq });
  };
  const readUpTo = ({ conversationId, userId, seq }: ReadCursor) => {
    member(conversationId, userId);
    const key = membershipKey(conversationId, userId);
    const known = read.get(key);
    if (!known || seq > known.seq) read.set(key, { conversationId, userId, seq });
  };
  for (const event of events) {
    if (event.type === 'cursors.moved') {
      event.payload.delivered.forEach(deliver);
      event.payload.read.forEach(readUpTo);
    } else if (event.type === 'cursor.delivered') {
      deliver(event.payload);
    } else {
      readUpTo(event.payload);
    }
  }
  return {
    delivered: [...delivered.values()],
    read: [...read.values()],
    memberships: [...memberships.values()],
  };
}

/**
 * The (conversation, user) pairs that are memberships, for membersOnly and nonMemberEventIds:
 * current ones (every cursor moves), and every one, former too (the read cursor moves: a former
 * member reads what it kept).
 */
export interface MemberSet {
  current: ReadonlySet<string>;
  readers: ReadonlySet<string>;
}

export function memberSet(members: readonly Membership[]): MemberSet {
  const key = (m: Membership) => membershipKey(m.conversationId, m.userId);
  return {
    current: new Set(members.filter((m) => !m.former).map(key)),
    readers: new Set(members.map(key)),
  };
}

/**
 * The plan without the cursors of users who may not move them: a delivered cursor of anyone but
 * a current member, a read cursor of anyone who was never a member. A gateway checks membership
 * before it gathers a move, so these are moves that raced a member's removal. Their record is not
 * poison (its other moves are good); they are left out.
 */
export function membersOnly(
  plan: CursorPlan,
  known: MemberSet,
): { plan: CursorPlan; dropped: number } {
  const inSet = (set: ReadonlySet<string>) => (c: { conversationId: string; userId: string }) =>
    set.has(membershipKey(c.conversationId, c.userId));
  const delivered = plan.delivered.filter(inSet(known.current));
  const read = plan.read.filter(inSet(known.readers));
  return {
    plan: { ...plan, delivered, read, memberships: plan.memberships.filter(inSet(known.readers)) },
    dropped: plan.delivered.length - delivered.length + plan.read.length - read.length,
  };
}

/**
 * Ids of single-move events whose user may not move that cursor (see MemberSet; or the
 * conversation does not exist): poison. A `cursors.moved` record never is (see membersOnly).
 */
export function nonMemberEventIds(
  events: readonly CursorEventEnvelope[],
  known: MemberSet,
): string[] {
  return events
    .filter((e) => {
      if (e.type === 'cursors.moved') return false;
      const set = e.type === 'cursor.read' ? known.readers : known.current;
      return !set.has(membershipKey(e.payload.conversationId, e.payload.userId));
    })
    .map((e) => e.id);
}

/**
 * The plan as member-level moves (one per conversation and user): the highest seq any of the
 * member's devices reported delivered, and the highest read (0 where the plan has none: the
 * statement only ever moves cursors forward).
 */
export function memberReceipts(plan: CursorPlan): MemberReceipt[] {
  const moves = new Map<string, MemberReceipt>();
  const at = (conversationId: string, userId: string): MemberReceipt => {
    const key = membershipKey(conversationId, userId);
    let move = moves.get(key);
    if (!move) {
      move = { conversationId, userId, deliveredSeq: 0, readSeq: 0 };
      moves.set(key, move);
    }
    return move;
  };
  for (const d of plan.delivered) {
    const move = at(d.conversationId, d.userId);
    move.deliveredSeq = Math.max(move.deliveredSeq, d.seq);
  }
  for (const r of plan.read) {
    const move = at(r.conversationId, r.userId);
    move.readSeq = Math.max(move.readSeq, r.seq);
  }
  return [...moves.values()];
}
