import { createEnvelope, CursorDeliveredV1, CursorReadV1, CursorsMovedV1 } from '@parley/common';
import { randomUUID } from 'node:crypto';
import {
  CursorEventEnvelope,
  memberSet,
  membersOnly,
  nonMemberEventIds,
  planCursors,
} from './cursor-persist.plan';

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

const moved = (
  deliveredMoves: { userId: string; deviceId: string; seq: number }[],
  readMoves: { userId: string; seq: number }[],
): CursorEventEnvelope =>
  createEnvelope(
    CursorsMovedV1,
    {
      delivered: deliveredMoves.map((m) => ({ conversationId: conv, ...m })),
      read: readMoves.map((m) => ({ conversationId: conv, ...m })),
    },
    'gateway-1',
  );

describe('planCursors with gathered records (cursors.moved)', () => {
  it('unpacks every move and keeps the highest seq per cursor across records and single events', () => {
    const plan = planCursors([
      moved(
        [
          { userId: alice, deviceId: 'phone', seq: 4 },
          { userId: alice, deviceId: 'laptop', seq: 1 },
        ],
        [{ userId: alice, seq: 2 }],
      ),
      delivered(alice, 'phone', 6),
      moved([{ userId: alice, deviceId: 'laptop', seq: 3 }], [{ userId: alice, seq: 1 }]),
    ]);
    expect(plan.delivered).toEqual([
      { conversationId: conv, userId: alice, deviceId: 'phone', seq: 6 },
      { conversationId: conv, userId: alice, deviceId: 'laptop', seq: 3 },
    ]);
    expect(plan.read).toEqual([{ conversationId: conv, userId: alice, seq: 2 }]);
  });
});

describe('nonMemberEventIds', () => {
  it('names the single-move events of users who are not members, never a gathered record', () => {
    const bad = delivered(stranger, 'phone', 1);
    const gathered = moved([{ userId: stranger, deviceId: 'phone', seq: 1 }], []);
    const events = [delivered(alice, 'phone', 1), bad, read(alice, 1), gathered];
    expect(nonMemberEventIds(events, memberSet([{ conversationId: conv, userId: alice }]))).toEqual(
      [bad.id],
    );
  });
});

describe('membersOnly', () => {
  it("leaves out the moves of non-members (a removal raced the gateway's check) and counts them", () => {
    const plan = planCursors([
      moved(
        [
          { userId: alice, deviceId: 'phone', seq: 2 },
          { userId: stranger, deviceId: 'phone', seq: 2 },
        ],
        [{ userId: stranger, seq: 2 }],
      ),
    ]);
    const { plan: kept, dropped } = membersOnly(
      plan,
      memberSet([{ conversationId: conv, userId: alice }]),
    );
    expect(dropped).toBe(2);
    expect(kept.delivered).toEqual([
      { conversationId: conv, userId: alice, deviceId: 'phone', seq: 2 },
    ]);
    expect(kept.read).toEqual([]);
  });

  it('keeps a former member’s read (it reads what it kept) and leaves out its delivered', () => {
    const plan = planCursors([
      moved([{ userId: stranger, deviceId: 'phone', seq: 2 }], [{ userId: stranger, seq: 2 }]),
      read(stranger, 2),
      delivered(stranger, 'phone', 2),
    ]);
    const known = memberSet([{ conversationId: conv, userId: stranger, former: true }]);
    const { plan: kept, dropped } = membersOnly(plan, known);
    expect(dropped).toBe(1);
    expect(kept.delivered).toEqual([]);
    expect(kept.read).toEqual([{ conversationId: conv, userId: stranger, seq: 2 }]);
    // A single delivered event of a former member is poison; its read is not.
    const events = [read(stranger, 2), delivered(stranger, 'phone', 2)];
    expect(nonMemberEventIds(events, known)).toEqual([events[1].id]);
  });
});
