import { createEnvelope, CursorDeliveredV1, CursorReadV1 } from '@parley/common';
import { randomUUID } from 'node:crypto';
import { CursorEventEnvelope, nonMemberEventIds, planCursors } from './cursor-persist.plan';

const conv = `1763900000000-${'a'.repeat(32)}`;
const alice = randomUUID();
const stranger = randomUUID();
const at = '2025-01-01T00:00:00.000Z';

const delivered = (userId: string, deviceId: string, seq: number): CursorEventEnvelope =>
  createEnvelope(
    CursorDeliveredV1,
    { conversationId: conv, userId, deviceId, seq, at },
    'gateway-1',
  );
const read = (userId: string, seq: number): CursorEventEnvelope =>
  createEnvelope(CursorReadV1, { conversationId: conv, userId, seq, at }, 'gateway-1');

describe('planCursors', () => {
  it('keeps the highest seq per cursor, whatever the order', () => {
    const plan = planCursors([
      delivered(alice, 'phone', 5),
      delivered(alice, 'phone', 3),
      delivered(alice, 'laptop', 2),
      read(alice, 1),
      read(alice, 4),
    ]);
    expect(plan.delivered).toEqual([
      { conversationId: conv, userId: alice, deviceId: 'phone', seq: 5 },
      { conversationId: conv, userId: alice, deviceId: 'laptop', seq: 2 },
    ]);
    expect(plan.read).toEqual([{ conversationId: conv, userId: alice, seq: 4 }]);
    expect(plan.memberships).toEqual([{ conversationId: conv, userId: alice }]);
  });
});

describe('nonMemberEventIds', () => {
  it('names the events of users who are not members', () => {
    const bad = delivered(stranger, 'phone', 1);
    const events = [delivered(alice, 'phone', 1), bad, read(alice, 1)];
    expect(nonMemberEventIds(events, [{ conversationId: conv, userId: alice }])).toEqual([bad.id]);
  });
});
