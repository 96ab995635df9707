import { Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';
import type { DeliveredCursor, Membership, ReadCursor } from './cursors.repository';

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

/** Collapses a batch of cursor events to the highest seq per cursor (an upsert touches a row once). */
export function planCursors(events: readonly CursorEventEnvelope[]): CursorPlan {
  const delivered = new Map<string, DeliveredCursor>();
  const read = new Map<string, ReadCursor>();
  const memberships = new Map<string, Membership>();
  for (const event of events) {
    const { conversationId, userId, seq } = event.payload;
    memberships.set(membershipKey(conversationId, userId), { conversationId, userId });
    if (event.type === 'cursor.delivered') {
      const { deviceId } = event.payload;
      const key = `${membershipKey(conversationId, userId)}\u0000${deviceId}`;
      const known = delivered.get(key);
      if (!known || seq > known.seq) delivered.set(key, { conversationId, userId, deviceId, seq });
    } else {
      const key = membershipKey(conversationId, userId);
      const known = read.get(key);
      if (!known || seq > known.seq) read.set(key, { conversationId, userId, seq });
    }
  }
  return {
    delivered: [...delivered.values()],
    read: [...read.values()],
    memberships: [...memberships.values()],
  };
}

/** Ids of events whose user is not a member of the conversation (or it does not exist). */
export function nonMemberEventIds(
  events: readonly CursorEventEnvelope[],
  members: readonly Membership[],
): string[] {
  const known = new Set(members.map((m) => membershipKey(m.conversationId, m.userId)));
  return events
    .filter((e) => !known.has(membershipKey(e.payload.conversationId, e.payload.userId)))
    .map((e) => e.id);
}
