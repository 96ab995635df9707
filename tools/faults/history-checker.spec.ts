import { checkHistory, formatHistoryCheck, HistoryCheckResult } from './history-checker';
import {
  AckEvent,
  ClientMembership,
  FailEvent,
  formatHistoryJsonl,
  HistoryEvent,
  parseHistoryJsonl,
  ReceiveEvent,
  ReconnectEvent,
  SendEvent,
  StoredMessage,
  StoreSnapshot,
} from './history';

/**
 * Synthetic runs on one conversation `c1`: alice has two devices (a1, a2), bob one (b1). The clean
 * run stores M1 (alice, from a1), M2 (bob, from b1) and M3 (alice, from a1) as seqs 1..3; every
 * client other than the sender's own receives each one live.
 */
const MEMBERS: ClientMembership[] = [
  { client: 'a1', userId: 'alice', conversations: ['c1'] },
  { client: 'a2', userId: 'alice', conversations: ['c1'] },
  { client: 'b1', userId: 'bob', conversations: ['c1'] },
];
const CLIENTS = MEMBERS.map((m) => m.client);
const M1: StoredMessage = { seq: 1, senderId: 'alice', clientMsgId: 'm1', text: 'hi' };
const M2: StoredMessage = { seq: 2, senderId: 'bob', clientMsgId: 'm2', text: 'yo' };
const M3: StoredMessage = { seq: 3, senderId: 'alice', clientMsgId: 'm3', text: 'how are you' };
const M4: StoredMessage = { seq: 4, senderId: 'alice', clientMsgId: 'm4', text: 'still there?' };

let clock = 1_700_000_000_000;
const at = (): number => clock++;

const send = (client: string, m: StoredMessage): SendEvent => ({
  type: 'send',
  client,
  conversationId: 'c1',
  clientMsgId: m.clientMsgId,
  text: m.text,
  at: at(),
});
const accepted = (client: string, m: StoredMessage): HistoryEvent => ({
  type: 'accepted',
  client,
  conversationId: 'c1',
  clientMsgId: m.clientMsgId,
  at: at(),
});
const ack = (client: string, m: StoredMessage, seq = m.seq): AckEvent => ({
  type: 'ack',
  client,
  conversationId: 'c1',
  clientMsgId: m.clientMsgId,
  seq,
  at: at(),
});
const fail = (client: string, m: StoredMessage): FailEvent => ({
  type: 'fail',
  client,
  conversationId: 'c1',
  clientMsgId: m.clientMsgId,
  code: 'rate_limited',
  at: at(),
});
const recv = (
  client: string,
  m: StoredMessage,
  change: Partial<StoredMessage> = {},
): ReceiveEvent => ({
  type: 'receive',
  client,
  conversationId: 'c1',
  ...m,
  ...change,
  at: at(),
});
const reconnect = (client: string): ReconnectEvent => ({
  type: 'reconnect',
  client,
  gatewayId: 'gw-2',
  at: at(),
});

/** `sender` sends `m` and is acked; every client in `to` receives it. */
const exchange = (
  sender: string,
  m: StoredMessage,
  to = CLIENTS.filter((c) => c !== sender),
): HistoryEvent[] => [
  send(sender, m),
  accepted(sender, m),
  ack(sender, m),
  ...to.map((c) => recv(c, m)),
];

const cleanHistory = (): HistoryEvent[] => [
  ...exchange('a1', M1),
  ...exchange('b1', M2),
  ...exchange('a1', M3),
];
const cleanStore = (): StoreSnapshot => ({ c1: [M1, M2, M3] });

const run = (
  history: HistoryEvent[],
  store: StoreSnapshot = cleanStore(),
  membership: ClientMembership[] = MEMBERS,
): HistoryCheckResult => checkHistory({ history, store, membership });

const ZERO = {
  lost: 0,
  duplicated: 0,
  divergent: 0,
  outOfOrder: 0,
  gapped: 0,
  phantom: 0,
  unresolved: 0,
  duplicateDeliveries: 0,
};
const counts = (r: HistoryCheckResult): typeof ZERO => ({
  lost: r.lost,
  duplicated: r.duplicated,
  divergent: r.divergent,
  outOfOrder: r.outOfOrder,
  gapped: r.gapped,
  phantom: r.phantom,
  unresolved: r.unresolved,
  duplicateDeliveries: r.duplicateDeliveries,
});

describe('checkHistory', () => {
  it('passes a clean run (the sender client needs no delivery of its own acked message)', () => {
    const result = run(cleanHistory());
    expect(counts(result)).toEqual(ZERO);
    expect(result).toMatchObject({ converged: true, ok: true });
    expect(Object.values(result.examples).flat()).toEqual([]);
    expect(formatHistoryCheck(result)).toBe(
      'lost 0, duplicated 0, divergent 0, out-of-order 0, gapped 0, phantom 0, unresolved 0, converged',
    );
  });

  it('passes a run whose histories interleave across clients in any order', () => {
    const history = cleanHistory();
    const byClient = CLIENTS.map((c) => history.filter((e) => e.client === c));
    expect(run(byClient.reverse().flat()).ok).toBe(true);
  });

  describe('lost', () => {
    it('counts a message acked to its sender but missing from the store', () => {
      const history = [...cleanHistory(), send('a1', M4), ack('a1', M4)];
      const result = run(history);
      expect(counts(result)).toEqual({ ...ZERO, lost: 1 });
      expect(result.converged).toBe(true); // every client holds exactly what the store has
      expect(result.ok).toBe(false);
      expect(result.examples.lost).toEqual(['alice/m4 acked as seq 4 but not in the store']);
    });

    it('counts each stored message a member client never received, its own on another device too', () => {
      const members = [...MEMBERS, { client: 'b2', userId: 'bob', conversations: ['c1'] }];
      const result = run(cleanHistory(), cleanStore(), members);
      // b2 received nothing: M1, M3 and bob's own M2 (acked to b1, not to b2) are all missing.
      expect(counts(result)).toEqual({ ...ZERO, lost: 3 });
      expect(result).toMatchObject({ converged: false, ok: false });
      expect(result.examples.notConverged).toEqual(['client b2 c1']);
    });

    it('counts a missed message before the first one received as lost, not as a hole', () => {
      const history = [...exchange('a1', M1, ['b1']), ...exchange('b1', M2), ...exchange('a1', M3)];
      const result = run(history);
      expect(counts(result)).toEqual({ ...ZERO, lost: 1 });
      expect(result.examples.lost).toEqual(['client a2 never received c1#1 alice/m1 "hi"']);
    });

    it('does not need delivery to a non-member', () => {
      const members = [...MEMBERS, { client: 'z1', userId: 'zoe', conversations: [] }];
      expect(run(cleanHistory(), cleanStore(), members).ok).toBe(true);
    });
  });

  describe('duplicated', () => {
    it('counts a message stored twice under two seqs once', () => {
      const twice: StoredMessage = { ...M3, seq: 4 };
      const history = [
        ...cleanHistory(),
        reconnect('a1'),
        send('a1', M3), // the resend the store failed to dedupe
        ...['a2', 'b1'].map((c) => recv(c, twice)),
      ];
      const result = run(history, { c1: [M1, M2, M3, twice] });
      expect(counts(result)).toEqual({ ...ZERO, duplicated: 1 });
      expect(result.converged).toBe(true);
      expect(result.ok).toBe(false);
    });

    it('counts acks of one clientMsgId with two different seqs', () => {
      const twice: StoredMessage = { ...M3, seq: 4 };
      const history = [
        ...cleanHistory(),
        send('a1', M3),
        ack('a1', M3, 4),
        ...['a2', 'b1'].map((c) => recv(c, twice)),
      ];
      const result = run(history, { c1: [M1, M2, M3, twice] });
      expect(counts(result)).toEqual({ ...ZERO, duplicated: 1 });
    });
  });

  describe('divergent', () => {
    it('counts a client that received other text than the store holds', () => {
      const history = cleanHistory().map((e) =>
        e.type === 'receive' && e.client === 'b1' && e.seq === 1
          ? recv('b1', M1, { text: 'HI' })
          : e,
      );
      const result = run(history);
      expect(counts(result)).toEqual({ ...ZERO, divergent: 1 });
      expect(result.converged).toBe(false);
      expect(result.examples.divergent).toEqual([
        'client b1 c1 seq 1 received alice/m1 "HI", store has alice/m1 "hi"',
      ]);
    });

    it('counts a message stored with other text than its sender sent', () => {
      const stored: StoredMessage = { ...M3, text: 'how are yo' };
      const history = [
        ...exchange('a1', M1),
        ...exchange('b1', M2),
        send('a1', M3),
        ack('a1', M3),
        recv('a2', stored),
        recv('b1', stored),
      ];
      const result = run(history, { c1: [M1, M2, stored] });
      expect(counts(result)).toEqual({ ...ZERO, divergent: 1 });
    });

    it('counts an ack whose seq is not where the message is stored', () => {
      const history = cleanHistory().map((e) =>
        e.type === 'ack' && e.seq === 3 ? ack('a1', M3, 2) : e,
      );
      expect(counts(run(history))).toEqual({ ...ZERO, divergent: 1 });
    });
  });

  describe('outOfOrder', () => {
    /** The clean run, except that a2's deliveries are `events`. */
    const deliverTo = (events: HistoryEvent[]): HistoryEvent[] => [
      ...exchange('a1', M1, ['b1']),
      ...exchange('b1', M2, ['a1']),
      ...exchange('a1', M3, ['b1']),
      ...events,
    ];

    it('counts a lower seq received on the same connection', () => {
      const result = run(deliverTo([recv('a2', M1), recv('a2', M3), recv('a2', M2)]));
      expect(counts(result)).toEqual({ ...ZERO, outOfOrder: 1 });
      expect(result.converged).toBe(true);
      expect(result.ok).toBe(false);
      expect(result.examples.outOfOrder).toEqual([
        'client a2 c1 seq 2 after seq 3 on the same connection',
      ]);
    });

    it('allows a lower seq after a reconnect: it fills a gap', () => {
      const history = deliverTo([recv('a2', M1), recv('a2', M3), reconnect('a2'), recv('a2', M2)]);
      const result = run(history);
      expect(counts(result)).toEqual(ZERO);
      expect(result.ok).toBe(true);
    });

    it('counts a re-delivery after a reconnect only as an informational duplicate delivery', () => {
      const history = deliverTo([
        recv('a2', M1),
        recv('a2', M2),
        reconnect('a2'),
        recv('a2', M1),
        recv('a2', M2),
        recv('a2', M3),
        recv('a2', M3), // the same seq again on the same connection: not lower, not out of order
      ]);
      const result = run(history);
      expect(counts(result)).toEqual({ ...ZERO, duplicateDeliveries: 3 });
      expect(result.ok).toBe(true);
      expect(formatHistoryCheck(result)).toMatch(/, converged, duplicate deliveries 3$/);
    });

    it('counts a re-delivery of a lower seq on the same connection as both', () => {
      const result = run(
        deliverTo([recv('a2', M1), recv('a2', M2), recv('a2', M3), recv('a2', M1)]),
      );
      expect(counts(result)).toEqual({ ...ZERO, outOfOrder: 1, duplicateDeliveries: 1 });
    });

    it('keeps each conversation and each client separately ordered', () => {
      const members = MEMBERS.map((m) => ({ ...m, conversations: ['c1', 'c2'] }));
      const other: StoredMessage = {
        seq: 1,
        senderId: 'bob',
        clientMsgId: 'n1',
        text: 'elsewhere',
      };
      const history: HistoryEvent[] = [
        ...cleanHistory(),
        {
          type: 'send',
          client: 'b1',
          conversationId: 'c2',
          clientMsgId: 'n1',
          text: 'elsewhere',
          at: at(),
        },
        { type: 'ack', client: 'b1', conversationId: 'c2', clientMsgId: 'n1', seq: 1, at: at() },
        ...['a1', 'a2'].map((c) => ({ ...recv(c, other), conversationId: 'c2' })),
      ];
      const result = run(history, { ...cleanStore(), c2: [other] }, members);
      expect(counts(result)).toEqual(ZERO);
      expect(result.ok).toBe(true);
    });
  });

  describe('gapped', () => {
    it('counts a store whose seqs skip one, once', () => {
      const at4: StoredMessage = { ...M3, seq: 4 };
      const history = [...exchange('a1', M1), ...exchange('b1', M2), ...exchange('a1', at4)];
      const result = run(history, { c1: [M1, M2, at4] });
      expect(counts(result)).toEqual({ ...ZERO, gapped: 1 });
      expect(result.converged).toBe(true);
      expect(result.examples.gapped).toEqual(['store c1 holds seqs [1,2,4], not 1..n once each']);
    });

    it('counts a hole in what a client received (and the message it lost there)', () => {
      const history = cleanHistory().filter(
        (e) =>
          !(e.type === 'receive' && e.client === 'b1' && e.seq === 3) &&
          !(e.type === 'receive' && e.client === 'a2' && e.seq === 2),
      );
      // a2 holds 1,3 (a hole at 2); b1 holds 1,2 of 1..3 (a hole at the end).
      const result = run(history);
      expect(counts(result)).toEqual({ ...ZERO, gapped: 2, lost: 2 });
      expect(result.examples.gapped).toEqual([
        'client a2 c1 misses seqs [2]',
        'client b1 c1 misses seqs [3]',
      ]);
      expect(result.converged).toBe(false);
    });
  });

  describe('phantom', () => {
    it('counts a received message the store does not have', () => {
      const ghost: StoredMessage = { seq: 9, senderId: 'bob', clientMsgId: 'boo', text: '?' };
      const result = run([...cleanHistory(), recv('a2', ghost), recv('a2', ghost)]);
      expect(counts(result)).toEqual({ ...ZERO, phantom: 1, duplicateDeliveries: 1 });
      expect(result.converged).toBe(false);
    });

    it('counts a stored message nobody sent', () => {
      const ghost: StoredMessage = { seq: 4, senderId: 'bob', clientMsgId: 'boo', text: '?' };
      const history = [...cleanHistory(), ...CLIENTS.map((c) => recv(c, ghost))];
      const result = run(history, { c1: [M1, M2, M3, ghost] });
      expect(counts(result)).toEqual({ ...ZERO, phantom: 1 });
      expect(result.converged).toBe(true);
      expect(result.ok).toBe(false);
    });

    it('counts a message stored although it was refused and never acked', () => {
      const history = [
        ...cleanHistory(),
        send('a1', M4),
        fail('a1', M4),
        ...CLIENTS.map((c) => recv(c, M4)),
      ];
      const result = run(history, { c1: [M1, M2, M3, M4] });
      expect(counts(result)).toEqual({ ...ZERO, phantom: 1 });
    });
  });

  describe('unresolved and refused sends', () => {
    it('counts a send (however often resent) that got neither an ack nor a fail', () => {
      const history = [
        ...cleanHistory(),
        send('a1', M4),
        reconnect('a1'),
        send('a1', M4),
        accepted('a1', M4),
      ];
      const result = run(history);
      expect(counts(result)).toEqual({ ...ZERO, unresolved: 1 });
      expect(result).toMatchObject({ converged: true, ok: false });
      expect(formatHistoryCheck(result)).toBe(
        'lost 0, duplicated 0, divergent 0, out-of-order 0, gapped 0, phantom 0, unresolved 1, converged',
      );
    });

    it('accepts a refused message that was not stored', () => {
      expect(run([...cleanHistory(), send('a1', M4), fail('a1', M4)]).ok).toBe(true);
    });

    it('accepts a refusal followed by a retry that was acked and stored', () => {
      const history = [
        ...cleanHistory(),
        send('a1', M4),
        fail('a1', M4),
        reconnect('a1'),
        ...exchange('a1', M4),
      ];
      const result = run(history, { c1: [M1, M2, M3, M4] });
      expect(counts(result)).toEqual(ZERO);
      expect(result.ok).toBe(true);
    });
  });

  it('keeps at most maxExamples examples per kind but counts everything', () => {
    const members = [...MEMBERS, { client: 'b2', userId: 'bob', conversations: ['c1'] }];
    const result = checkHistory(
      { history: cleanHistory(), store: cleanStore(), membership: members },
      { maxExamples: 2 },
    );
    expect(result.lost).toBe(3);
    expect(result.examples.lost).toHaveLength(2);
  });

  it('refuses a history naming a client the membership does not know', () => {
    expect(() => run([...cleanHistory(), reconnect('x9')])).toThrow(/client x9/);
  });

  it('reports a run that did not converge', () => {
    const members = [...MEMBERS, { client: 'b2', userId: 'bob', conversations: ['c1'] }];
    expect(formatHistoryCheck(run(cleanHistory(), cleanStore(), members))).toBe(
      'lost 3, duplicated 0, divergent 0, out-of-order 0, gapped 0, phantom 0, unresolved 0, not converged',
    );
  });
});

describe('history JSONL', () => {
  it('round-trips a history', () => {
    const history = cleanHistory();
    const jsonl = formatHistoryJsonl(history);
    expect(jsonl.split('\n')).toHaveLength(history.length + 1);
    expect(parseHistoryJsonl(`${jsonl}\n`)).toEqual(history);
  });

  it('names the line and field of an invalid event', () => {
    const lines = formatHistoryJsonl(cleanHistory().slice(0, 2)).split('\n');
    lines.splice(
      1,
      0,
      JSON.stringify({
        type: 'ack',
        client: 'a1',
        conversationId: 'c1',
        clientMsgId: 'm1',
        seq: 0,
        at: 1,
      }),
    );
    expect(() => parseHistoryJsonl(lines.join('\n'))).toThrow(/^history line 2: seq: /);
    expect(() => parseHistoryJsonl('{"type":"bogus"}')).toThrow(/^history line 1: type: /);
    expect(() => parseHistoryJsonl('{oops')).toThrow(/^history line 1: not JSON/);
  });
});
