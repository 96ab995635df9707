import { type DeliveredMessage, ErrorCode, type SendFrame } from '@parley/protocol';
import { FakeConnection } from '@parley/testing/fake-connection';
import { ParleyClient, ParleyClientEvents, SendRefusedError } from './parley-client';
import { MemoryOutboxStore } from './stores';

const C = '1763900000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ME = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const BOB = '9d2c3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c';

const message = (seq: number, over: Partial<DeliveredMessage> = {}): DeliveredMessage => ({
  conversationId: C,
  seq,
  senderId: BOB,
  senderUsername: 'bob',
  clientMsgId: `b-${seq}`,
  text: `m${seq}`,
  serverTime: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
  ...over,
});

/** A client over a fake connection: the test plays the server and reads what was sent. */
async function setup() {
  const server = new FakeConnection({ userId: ME, username: 'alice' });
  const store = new MemoryOutboxStore();
  let id = 0;
  const client = new ParleyClient({
    connection: server,
    outbox: store,
    messageMaxLength: 20,
    newId: () => `m-${++id}`,
  });
  const seen: { [K in keyof ParleyClientEvents]?: ParleyClientEvents[K][] } = {};
  for (const type of ['message', 'ack', 'send-failed', 'synced', 'notice'] as const) {
    client.events.on(type, (e) => ((seen[type] ??= []) as unknown[]).push(e));
  }
  await client.start();
  const sent = server.sent;
  const sends = () => sent.filter((f): f is SendFrame => f.type === 'send');
  const delivered = () => sent.filter((f) => f.type === 'delivered');
  return { client, server, sent, sends, delivered, seen, store };
}

describe('ParleyClient: sending', () => {
  it('refuses, before storing or sending anything, a text the server would refuse', async () => {
    const t = await setup();
    t.server.hello();
    expect(() => t.client.send({ to: 'bob' }, 'x'.repeat(21))).toThrow(SendRefusedError);
    expect(() => t.client.send({ to: 'bob' }, '  ')).toThrow(SendRefusedError);
    expect(() => t.client.send({ to: 'bob' }, 'esc\u001b[2J')).toThrow(SendRefusedError);
    expect(t.sends()).toEqual([]);
    expect(t.client.pending).toEqual([]);
  });

  it('keeps what was written offline and sends it on hello, in order, with the same ids; the ack empties the outbox', async () => {
    const t = await setup();
    t.client.send({ to: 'bob' }, 'one');
    t.client.send({ conversationId: C }, 'two');
    expect(t.sends()).toEqual([]);
    t.server.hello();
    expect(t.sends().map((f) => [f.clientMsgId, f.text])).toEqual([
      ['m-1', 'one'],
      ['m-2', 'two'],
    ]);
    t.server.drop();
    t.server.hello(); // a reconnect before the acks: sent again, same ids, same order
    expect(t.sends().map((f) => f.clientMsgId)).toEqual(['m-1', 'm-2', 'm-1', 'm-2']);
    t.server.frame({
      type: 'ack',
      clientMsgId: 'm-1',
      conversationId: C,
      seq: 7,
      serverTime: '2026-01-01T00:00:07.000Z',
    });
    expect(t.client.pending.map((e) => e.clientMsgId)).toEqual(['m-2']);
    // The stored message seen through sync (a lost ack) prunes it too.
    t.server.syncDone([message(8, { senderId: ME, senderUsername: 'alice', clientMsgId: 'm-2' })]);
    expect(t.client.pending).toEqual([]);
  });

  it('resends, in order, after the pause a rate_limited refusal asks for; drops a finally refused send', async () => {
    jest.useFakeTimers();
    try {
      const t = await setup();
      t.server.hello();
      for (const text of ['a', 'b', 'c']) t.client.send({ conversationId: C }, text);
      t.server.frame({
        type: 'error',
        clientMsgId: 'm-2',
        code: ErrorCode.RateLimited,
        message: 'slow down',
        retryAfterMs: 1500,
      });
      t.server.frame({
        type: 'error',
        clientMsgId: 'm-3',
        code: ErrorCode.RateLimited,
        message: 'slow down',
        retryAfterMs: 1400,
      });
      t.server.frame({
        type: 'ack',
        clientMsgId: 'm-1',
        conversationId: C,
        seq: 1,
        serverTime: '2026-01-01T00:00:01.000Z',
      });
      const before = t.sends().length;
      jest.advanceTimersByTime(1499);
      expect(t.sends()).toHaveLength(before);
      jest.advanceTimersByTime(1);
      expect(
        t
          .sends()
          .slice(before)
          .map((f) => f.clientMsgId),
      ).toEqual(['m-2', 'm-3']);

      t.server.frame({
        type: 'error',
        clientMsgId: 'm-3',
        code: ErrorCode.ValidationFailed,
        message: 'no',
      });
      expect(t.seen['send-failed']).toEqual([
        { clientMsgId: 'm-3', code: 'validation_failed', message: 'no' },
      ]);
      expect(t.client.pending.map((e) => e.clientMsgId)).toEqual(['m-2']);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ParleyClient: receiving', () => {
  it('syncs on every hello until done and emits each stored message once, whatever path brings it', async () => {
    const t = await setup();
    t.server.hello();
    expect(t.sent.filter((f) => f.type === 'sync')).toEqual([
      { type: 'sync', ref: 'sync', limit: 200 },
    ]);
    t.server.frame({ type: 'message', message: message(2) });
    t.server.frame({
      type: 'sync.page',
      ref: 'sync',
      messages: [message(1), message(2)],
      next: 'n1',
      done: false,
    });
    expect(t.sent.filter((f) => f.type === 'sync').at(-1)).toEqual({
      type: 'sync',
      ref: 'sync',
      after: 'n1',
      limit: 200,
    });
    t.server.syncDone([message(3)]);
    expect(t.seen.message?.map((e) => [e.message.seq, e.source])).toEqual([
      [2, 'live'],
      [1, 'sync'],
      [3, 'sync'],
    ]);
    expect(t.seen.synced).toEqual([{ messages: 2 }]);
    expect(t.delivered().at(-1)).toEqual({ type: 'delivered', conversationId: C, seq: 3 });
  });

  it('never reports delivered over a lost push: it syncs and reports once the gap is filled', async () => {
    jest.useFakeTimers();
    try {
      const t = await setup();
      t.server.hello();
      t.server.syncDone([message(1)]);
      expect(t.delivered()).toEqual([{ type: 'delivered', conversationId: C, seq: 1 }]);
      t.server.frame({ type: 'message', message: message(3) }); // 2 was lost
      expect(t.delivered()).toHaveLength(1);
      jest.advanceTimersByTime(300);
      expect(t.sent.filter((f) => f.type === 'sync')).toHaveLength(2);
      t.server.syncDone([message(2), message(3)]);
      expect(t.delivered().at(-1)).toEqual({ type: 'delivered', conversationId: C, seq: 3 });
      expect(t.seen.message?.map((e) => e.message.seq)).toEqual([1, 3, 2]);
    } finally {
      jest.useRealTimers();
    }
  });
});
