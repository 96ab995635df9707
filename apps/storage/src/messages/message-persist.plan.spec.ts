import { createEnvelope, MessageAcceptedV1 } from '@parley/common';
import { randomUUID } from 'node:crypto';
import {
  findPoison,
  isStored,
  MessageAcceptedEnvelope,
  newMessages,
  planPersist,
  resolvePlan,
  uniqueSenderKeys,
} from './message-persist.plan';
import type { SeqAllocation, StoredMessageRef } from './messages.repository';

const convA = `1763900000000-${'a'.repeat(32)}`;
const convB = `1763900000000-${'b'.repeat(32)}`;
const alice = randomUUID();
const bob = randomUUID();
const origin = { gatewayId: 'gateway-1', connectionId: randomUUID(), deviceId: 'laptop' };

function accepted(
  conversationId: string,
  senderId: string,
  clientMsgId: string,
): MessageAcceptedEnvelope {
  return createEnvelope(
    MessageAcceptedV1,
    {
      conversationId,
      senderId,
      senderUsername: senderId === alice ? 'alice' : 'bob',
      clientMsgId,
      text: `text of ${clientMsgId}`,
      acceptedAt: '2025-01-01T00:00:00.000Z',
      origin,
    },
    'gateway-1',
  );
}

const members = new Map([
  [convA, [alice, bob]],
  [convB, [alice, bob]],
]);
const t0 = new Date('2025-01-01T00:00:01.000Z');

function allocate(
  requests: { conversationId: string; count: number }[],
  lastSeq: Record<string, number>,
) {
  return new Map<string, SeqAllocation>(
    requests.map((r) => [
      r.conversationId,
      {
        conversationId: r.conversationId,
        firstSeq: (lastSeq[r.conversationId] ?? 0) + 1,
        serverTime: t0,
      },
    ]),
  );
}

describe('planPersist', () => {
  it('gives new messages consecutive seqs per conversation, in batch order', () => {
    const events = [
      accepted(convB, alice, 'm1'),
      accepted(convA, bob, 'm2'),
      accepted(convB, bob, 'm3'),
      accepted(convA, alice, 'm4'),
    ];
    const plan = planPersist(events, []);
    expect(plan.seqRequests).toEqual([
      { conversationId: convA, count: 2 },
      { conversationId: convB, count: 2 },
    ]);
    // What the append writes: each new message at its offset in its conversation's range.
    expect(newMessages(plan).map((m) => [m.conversationId, m.offset, m.clientMsgId])).toEqual([
      [convB, 0, 'm1'],
      [convA, 0, 'm2'],
      [convB, 1, 'm3'],
      [convA, 1, 'm4'],
    ]);
    const stored = resolvePlan(plan, allocate(plan.seqRequests, { [convA]: 7 }), members).filter(
      isStored,
    );
    expect(stored.map((s) => [s.clientMsgId, s.seq, s.duplicate])).toEqual([
      ['m1', 1, false],
      ['m2', 8, false],
      ['m3', 2, false],
      ['m4', 9, false],
    ]);
    expect(stored[0]).toMatchObject({
      memberIds: [alice, bob],
      origin,
      serverTime: t0.toISOString(),
      text: 'text of m1',
    });
  });

  it('lets the first occurrence in the batch win; repeats carry its seq as duplicates', () => {
    const first = accepted(convA, alice, 'same');
    const retry = {
      ...accepted(convA, alice, 'same'),
      payload: { ...first.payload, origin: { ...origin, connectionId: randomUUID() } },
    };
    const plan = planPersist([first, accepted(convA, alice, 'other'), retry], []);
    expect(plan.seqRequests).toEqual([{ conversationId: convA, count: 2 }]);
    const stored = resolvePlan(plan, allocate(plan.seqRequests, {}), members).filter(isStored);
    expect(newMessages(plan)).toHaveLength(2);
    expect(stored.map((s) => [s.clientMsgId, s.seq, s.duplicate])).toEqual([
      ['same', 1, false],
      ['other', 2, false],
      ['same', 1, true],
    ]);
    // The repeat's ack goes to the socket that sent the repeat.
    expect(stored[2].origin).toEqual(retry.payload.origin);
  });

  it('turns already-stored keys into duplicates with the ORIGINAL seq, time and conversation', () => {
    const original: StoredMessageRef = {
      conversationId: convB,
      seq: 41,
      senderId: alice,
      clientMsgId: 'again',
      serverTime: new Date('2024-12-31T23:59:59.123Z'),
      body: 'first text',
    };
    const plan = planPersist(
      [accepted(convA, alice, 'again'), accepted(convA, alice, 'fresh')],
      [original],
    );
    expect(plan.seqRequests).toEqual([{ conversationId: convA, count: 1 }]);
    const stored = resolvePlan(plan, allocate(plan.seqRequests, { [convA]: 3 }), members);
    expect(newMessages(plan).map((m) => m.clientMsgId)).toEqual(['fresh']);
    expect(stored[0]).toMatchObject({
      conversationId: convB,
      seq: 41,
      serverTime: '2024-12-31T23:59:59.123Z',
      text: 'first text',
      duplicate: true,
    });
    expect(stored[1]).toMatchObject({ conversationId: convA, seq: 4, duplicate: false });
  });

  it('lists each idempotency key once', () => {
    expect(
      uniqueSenderKeys([
        accepted(convA, alice, 'x'),
        accepted(convA, alice, 'x'),
        accepted(convA, bob, 'x'),
      ]),
    ).toEqual([
      { senderId: alice, clientMsgId: 'x' },
      { senderId: bob, clientMsgId: 'x' },
    ]);
  });
});

describe('findPoison', () => {
  it('flags unknown conversations and NUL text, one reason at a time; a non-member is not poison', () => {
    const stranger = randomUUID();
    const missing = `1763900000000-${'c'.repeat(32)}`;
    const ok = accepted(convA, alice, 'ok');
    const outsider = accepted(convA, stranger, 'intruder');
    const nowhere = accepted(missing, alice, 'lost');
    expect(findPoison([ok, outsider], members)).toBeNull();
    const nul = { ...ok, id: randomUUID(), payload: { ...ok.payload, text: 'a\u0000b' } };
    expect(findPoison([nul], members)).toEqual({
      reason: 'text contains a NUL character (PostgreSQL text cannot store it)',
      eventIds: [nul.id],
    });
    expect(findPoison([ok, nowhere], members)).toEqual({
      reason: 'conversation does not exist',
      eventIds: [nowhere.id],
    });
  });
});

describe('planPersist refusals', () => {
  it('refuses sends from non-members, but keeps a stored retry of one as its duplicate', () => {
    const stranger = randomUUID();
    const outsider = accepted(convA, stranger, 'intruder');
    const formerRetry = accepted(convA, stranger, 'old');
    const stored: StoredMessageRef[] = [
      {
        conversationId: convA,
        seq: 3,
        senderId: stranger,
        clientMsgId: 'old',
        serverTime: t0,
        body: 'from before the removal',
      },
    ];
    const plan = planPersist(
      [outsider, formerRetry, accepted(convA, alice, 'ok')],
      stored,
      members,
    );
    expect(plan.entries.map((e) => e.kind)).toEqual(['refused', 'stored', 'new']);
    expect(plan.seqRequests).toEqual([{ conversationId: convA, count: 1 }]);
    const outcomes = resolvePlan(plan, allocate(plan.seqRequests, { [convA]: 3 }), members);
    expect(outcomes[0]).toEqual({
      conversationId: convA,
      clientMsgId: 'intruder',
      origin,
      refusal: { code: 'forbidden', message: 'Not a member of this conversation' },
    });
    expect(outcomes.slice(1).map((o) => (isStored(o) ? [o.seq, o.duplicate] : null))).toEqual([
      [3, true],
      [4, false],
    ]);
  });
});
