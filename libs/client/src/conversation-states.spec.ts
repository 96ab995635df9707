import { type DeliveredMessage, EMPTY_STATE_DIGEST } from '@parley/protocol';
import { STATE_VECTORS } from '@parley/protocol/sync/state-digest.vectors';
import { ConversationStates } from './conversation-states';

const C = '1763900000000-cccccccccccccccccccccccccccccccc';
const ALICE = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';

const message = (seq: number, over: Partial<DeliveredMessage> = {}): DeliveredMessage => ({
  conversationId: C,
  seq,
  senderId: ALICE,
  senderUsername: 'alice',
  clientMsgId: `m-${seq}`,
  text: `text ${seq}`,
  serverTime: '2026-11-22T10:00:00.000Z',
  ...over,
});

describe('ConversationStates: disappearing messages', () => {
  it("hashes a message's text as '' from its expiry on: the digest then equals a tombstone's", () => {
    let now = Date.parse('2026-11-25T10:00:00.000Z');
    const held = new ConversationStates();
    held.now = () => now;
    held.observe(message(1, { text: 'secret', expiresAt: '2026-11-25T10:00:02.000Z' }));
    const tombstone = new ConversationStates();
    tombstone.observe(message(1, { text: '', expired: true }));
    const before = held.state(C).digest;
    expect(before).not.toBe(tombstone.state(C).digest);
    now += 2000;
    expect(held.state(C).digest).toBe(tombstone.state(C).digest);
  });
});

describe('ConversationStates', () => {
  it.each(STATE_VECTORS)(
    'computes the test vector with its own SHA-256 (the gateway computes the same): $name',
    (vector) => {
      const states = new ConversationStates();
      const fromSeq = vector.fromSeq ?? 1;
      if (fromSeq > 1) states.startAt(C, fromSeq);
      for (const m of vector.messages.filter((x) => x.seq <= vector.lastSeq)) {
        states.observe(message(m.seq, m));
      }
      expect(states.state(C)).toEqual({
        conversationId: C,
        lastSeq: vector.lastSeq,
        digest: vector.digest,
        ...(fromSeq > 1 ? { fromSeq } : {}),
      });
    },
  );

  it('moves lastSeq only over what it holds with nothing missing below', () => {
    const states = new ConversationStates();
    expect(states.observe(message(1))).toBe(true);
    expect(states.observe(message(3))).toBe(true);
    expect(states.observe(message(3))).toBe(false);
    expect(states.lastSeq(C)).toBe(1);
    expect(states.hasHoles).toBe(true);
    expect(states.takeReports()).toEqual([{ conversationId: C, seq: 1 }]);
    expect(states.observe(message(2))).toBe(true);
    expect(states.lastSeq(C)).toBe(3);
    expect(states.hasHoles).toBe(false);
    expect(states.takeReports()).toEqual([{ conversationId: C, seq: 3 }]);
    expect(states.takeReports()).toEqual([]);
    expect(states.observe(message(2))).toBe(false);
  });

  it('keeps the state of a conversation it holds nothing of at the empty digest', () => {
    const states = new ConversationStates();
    expect(states.state(C)).toEqual({ conversationId: C, lastSeq: 0, digest: EMPTY_STATE_DIGEST });
    states.observe(message(5));
    expect(states.state(C).lastSeq).toBe(0);
  });

  it('takes a reset as the truth: the tail replaces its window, what follows on is kept', () => {
    const states = new ConversationStates();
    for (const seq of [1, 2, 3]) states.observe(message(seq, { text: 'local' }));
    states.observe(message(6));
    const tail = [1, 2, 3, 4].map((seq) => message(seq));
    states.reset(C, 4, tail);
    const fresh = new ConversationStates();
    for (const m of tail) fresh.observe(m);
    expect(states.lastSeq(C)).toBe(4);
    expect(states.state(C)).toEqual(fresh.state(C));
    states.observe(message(5));
    expect(states.lastSeq(C)).toBe(6);
  });

  it('reads from the first seq a reset names: window, digest, snapshot and what follows', () => {
    const states = new ConversationStates();
    // A member added at seq 6 hears of the group live first: above a hole.
    states.observe(message(6));
    expect(states.hasHoles).toBe(true);
    const vector = STATE_VECTORS.find((v) => v.fromSeq === 6 && v.lastSeq === 12);
    if (!vector) throw new Error('the vector of a member added at seq 6');
    const tail = vector.messages.filter((m) => m.seq >= 6).map((m) => message(m.seq, m));
    states.reset(C, 12, tail, 6);
    expect(states.hasHoles).toBe(false);
    expect(states.state(C)).toEqual({
      conversationId: C,
      lastSeq: 12,
      digest: vector.digest,
      fromSeq: 6,
    });
    expect(states.observe(message(3))).toBe(false);
    expect(states.observe(message(13))).toBe(true);
    const restored = new ConversationStates();
    restored.restore(states.snapshot());
    expect(restored.state(C)).toEqual(states.state(C));
    // A snapshot whose window does not start at its first seq is not trusted.
    const bad = states.snapshot();
    const tampered = new ConversationStates();
    tampered.restore({ [C]: { ...bad[C], fromSeq: 12 } });
    expect(tampered.has(C)).toBe(false);
  });

  it('starts a conversation it is told to read from a later seq holding nothing there', () => {
    const states = new ConversationStates();
    states.startAt(C, 6);
    const empty = STATE_VECTORS.find((v) => v.fromSeq === 6 && v.lastSeq === 5);
    expect(states.state(C)).toEqual({
      conversationId: C,
      lastSeq: 5,
      digest: empty?.digest,
      fromSeq: 6,
    });
    expect(states.takeReports()).toEqual([]);
    expect(states.observe(message(6))).toBe(true);
    expect(states.lastSeq(C)).toBe(6);
    expect(states.hasHoles).toBe(false);
  });

  it('reports delivered again from a reset that moved it back', () => {
    const states = new ConversationStates();
    for (const seq of [1, 2, 3]) states.observe(message(seq));
    states.takeReports();
    states.reset(C, 2, [message(1), message(2)]);
    states.observe(message(3));
    expect(states.takeReports()).toEqual([{ conversationId: C, seq: 3 }]);
  });

  it('survives a snapshot round trip, and refuses a tampered or inconsistent snapshot entry', () => {
    const states = new ConversationStates();
    for (let seq = 1; seq <= 12; seq++) states.observe(message(seq));
    states.observe(message(14));
    const snapshot = states.snapshot();
    expect(JSON.stringify(snapshot)).not.toContain('text 1');
    const restored = new ConversationStates();
    restored.restore(JSON.parse(JSON.stringify(snapshot)));
    expect(restored.state(C)).toEqual(states.state(C));
    restored.observe(message(13));
    expect(restored.lastSeq(C)).toBe(14);

    const broken = structuredClone(snapshot);
    const entry = broken[C];
    if (!entry) throw new Error('no entry');
    entry.window = entry.window.slice(1);
    const refused = new ConversationStates();
    refused.restore(broken);
    refused.restore({ [C]: 'not a state' });
    expect(refused.has(C)).toBe(false);
  });
});
