import {
  type DeliveredMessage,
  EMPTY_STATE_DIGEST,
  emptyStateDigest,
  ErrorCode,
  type SendFrame,
  stateDigest,
  stateEntryOf,
  stateSummary,
  type SyncStatesFrame,
} from '@parley/protocol';
import { FakeConnection, syncDoneFrame } from '@parley/testing/fake-connection';
import { stopAfterEach } from '@parley/testing/stop-after-each';
import { MemoryConversationStateStore, sha256 } from './conversation-states';
import {
  DELIVERED_REPORT_DELAY_MS,
  ParleyClient,
  type ParleyClientEvents,
  type ParleyClientOptions,
  SendRefusedError,
} from './parley-client';
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

/** Every client a test makes, stopped after it. */
const stopAfterTest = stopAfterEach<ParleyClient>();

/** A client over a fake connection: the test plays the server and reads what was sent. */
async function setup(options: Partial<ParleyClientOptions> = {}) {
  const server = new FakeConnection({ userId: ME, username: 'alice' });
  const store = new MemoryOutboxStore();
  let id = 0;
  const client = new ParleyClient({
    ...options,
    connection: server,
    outbox: store,
    messageMaxLength: 20,
    newId: () => `m-${++id}`,
  });
  const seen: { [K in keyof ParleyClientEvents]?: ParleyClientEvents[K][] } = {};
  for (const type of ['message', 'ack', 'send-failed', 'synced', 'notice', 'reset'] as const) {
    client.events.on(type, (e) => ((seen[type] ??= []) as unknown[]).push(e));
  }
  stopAfterTest(client);
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

  it('sends an image with an empty or a written caption, keeping the image in the outbox entry', async () => {
    const t = await setup();
    t.server.hello();
    const image = {
      id: '7d0c9b1e-2f3a-4b5c-8d6e-9f0a1b2c3d4e',
      width: 640,
      height: 480,
      bytes: 20_000,
      type: 'image/webp' as const,
      placeholder: 'data:image/webp;base64,UklGRg==',
    };
    const bare = t.client.send({ to: 'bob' }, '', { image });
    t.client.send({ to: 'bob' }, 'caption', { image });
    expect(bare.image).toEqual(image);
    expect(t.sends().map((f) => [f.text, f.image])).toEqual([
      ['', { id: image.id }],
      ['caption', { id: image.id }],
    ]);
    // Without an image an empty text is still refused; a blank caption too.
    expect(() => t.client.send({ to: 'bob' }, '')).toThrow(SendRefusedError);
    expect(() => t.client.send({ to: 'bob' }, ' ', { image })).toThrow(SendRefusedError);
  });

  it('asks for the accepted frame unless told not to (acceptedFrames: false), on first sends and resends alike', async () => {
    const loud = await setup();
    loud.server.hello();
    loud.client.send({ to: 'bob' }, 'one');
    expect(loud.sends()[0]).not.toHaveProperty('accepted');

    const quiet = await setup({ acceptedFrames: false });
    quiet.client.send({ conversationId: C }, 'queued');
    quiet.server.hello();
    quiet.client.send({ to: 'bob' }, 'live');
    expect(quiet.sends()).toEqual([
      { type: 'send', clientMsgId: 'm-1', conversationId: C, text: 'queued', accepted: false },
      { type: 'send', clientMsgId: 'm-2', to: 'bob', text: 'live', accepted: false },
    ]);
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

describe('ParleyClient: receiving (sync v2)', () => {
  const D = '1763900000000-dddddddddddddddddddddddddddddddd';
  const stateOf = (frame: SyncStatesFrame | undefined) =>
    frame?.states.map((s) =>
      'lastSeq' in s
        ? `${s.conversationId.slice(-1)}@${s.lastSeq}`
        : `${s.conversationId.slice(-1)}:tail`,
    );

  it('starts every hello with a complete round of the states it holds, then sends the outbox', async () => {
    const t = await setup();
    t.client.send({ conversationId: C }, 'queued');
    t.server.hello();
    // A foreground app opening: its state first (see the presence tests).
    expect(t.sent.map((f) => f.type)).toEqual(['presence.state', 'sync.states', 'send']);
    expect(t.server.syncRounds).toEqual([
      { type: 'sync.states', ref: 'sync', states: [], complete: true, last: true },
    ]);
  });

  it('repeats rounds for what changed until one converges, and emits each stored message once, whatever path brings it', async () => {
    const t = await setup();
    jest.useFakeTimers();
    t.server.hello();
    t.server.frame({ type: 'message', message: message(2) });
    t.server.frame({ type: 'sync.messages', ref: 'sync', messages: [message(1), message(2)] });
    t.server.frame(syncDoneFrame({ behind: [C] }));
    expect(stateOf(t.server.syncRounds[1])).toEqual(['a@2']);
    expect(t.server.syncRounds[1]?.complete).toBeUndefined();
    t.server.frame({ type: 'sync.messages', ref: 'sync', messages: [message(3)] });
    t.server.frame(syncDoneFrame({}));
    expect(stateOf(t.server.syncRounds[2])).toEqual(['a@3']);
    expect(t.seen.synced).toBeUndefined();
    t.server.frame(syncDoneFrame({ converged: true, agreed: 1 }));
    expect(t.seen.message?.map((e) => [e.message.seq, e.source])).toEqual([
      [2, 'live'],
      [1, 'sync'],
      [3, 'sync'],
    ]);
    expect(t.seen.synced).toEqual([{ messages: 2, rounds: 3 }]);
    // Three messages through two rounds: one report, after the window.
    expect(t.delivered()).toEqual([]);
    jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
    jest.useRealTimers();
    expect(t.delivered()).toEqual([{ type: 'delivered', conversationId: C, seq: 3 }]);
    // The state it sends is the digest of what it holds: the same as the protocol library's.
    const held = t.client.conversationStates();
    expect(held).toEqual([
      {
        conversationId: C,
        lastSeq: 3,
        digest: stateDigest(
          3,
          [1, 2, 3].map((n) => stateEntryOf(message(n), sha256)),
          sha256,
        ),
      },
    ]);
  });

  it('sends a summary of what it holds first; when it does not match, a state of every held conversation, 100 to a frame, `last` on the final one', async () => {
    const t = await setup();
    t.server.hello();
    const ids = Array.from(
      { length: 250 },
      (_, i) => `1763900000000-${String(i).padStart(32, '0')}`,
    );
    t.server.frame({
      type: 'sync.messages',
      ref: 'sync',
      messages: ids.map((id) => message(1, { conversationId: id })),
    });
    t.server.frame(syncDoneFrame({ converged: true, agreed: 0 }));
    t.server.drop();
    t.server.hello();
    const held = t.client.conversationStates();
    expect(t.server.syncRounds.slice(1)).toEqual([
      {
        type: 'sync.states',
        ref: 'sync',
        states: [],
        summary: stateSummary(held, sha256),
        complete: true,
        last: true,
      },
    ]);
    expect(t.server.syncRounds[1]?.summary?.conversations).toBe(250);
    t.server.frame(syncDoneFrame());
    const frames = t.server.syncRounds.slice(2);
    expect(frames.map((f) => [f.states.length, f.complete, f.last])).toEqual([
      [100, true, false],
      [100, true, false],
      [50, true, true],
    ]);
    expect(frames.flatMap((f) => f.states)).toEqual(held);
  });

  it('is synced in one round when the summary matches; a device holding nothing sends no summary', async () => {
    const t = await setup();
    t.server.hello();
    expect(t.server.syncRounds[0]?.summary).toBeUndefined();
    t.server.syncDone([message(1), message(2)]);
    t.server.drop();
    t.server.hello();
    expect(t.server.syncRounds).toHaveLength(2);
    t.server.frame(syncDoneFrame({ converged: true, agreed: 1 }));
    expect(t.seen.synced?.at(-1)).toEqual({ messages: 0, rounds: 1 });
    expect(t.server.syncRounds).toHaveLength(2);
  });

  it('takes a reset: the tail replaces what it held, a `reset` event tells the screen', async () => {
    const t = await setup();
    t.server.hello();
    t.server.frame({ type: 'sync.messages', ref: 'sync', messages: [message(1), message(2)] });
    const tampered = { ...message(3), text: 'not what the server has' };
    t.server.frame({ type: 'message', message: tampered });
    t.server.frame(syncDoneFrame({ converged: true }));
    expect(t.client.conversationStates()[0]?.lastSeq).toBe(3);
    // Next connection: the server finds the state diverged and resets it to its own tail.
    t.server.drop();
    t.server.hello();
    const tail = [message(1), message(2), message(3)];
    const server = stateDigest(
      3,
      tail.map((m) => stateEntryOf(m, sha256)),
      sha256,
    );
    t.server.frame({
      type: 'sync.reset',
      ref: 'sync',
      conversationId: C,
      lastSeq: 3,
      digest: server,
      messages: tail,
    });
    expect(t.seen.reset).toEqual([{ conversationId: C, messages: tail }]);
    expect(t.client.conversationStates()).toEqual([
      { conversationId: C, lastSeq: 3, digest: server },
    ]);
    t.server.frame(syncDoneFrame({ reset: [C] }));
    expect(stateOf(t.server.syncRounds.at(-1))).toEqual(['a@3']);
  });

  it('brings in conversations it does not know by their tail or from the start, and drops gone ones', async () => {
    for (const policy of ['tail', 'all'] as const) {
      const t = await setup({ unknownConversations: policy });
      t.server.hello();
      t.server.frame({ type: 'sync.messages', ref: 'sync', messages: [message(1)] });
      t.server.frame(
        syncDoneFrame({
          unknown: [{ conversationId: D, lastSeq: 40, digest: EMPTY_STATE_DIGEST }],
          gone: [C],
        }),
      );
      expect(stateOf(t.server.syncRounds.at(-1))).toEqual(policy === 'tail' ? ['d:tail'] : ['d@0']);
      expect(t.client.conversationStates()).toEqual([]);
    }
  });

  it('brings in a conversation the user reads from a later seq from there, holding nothing', async () => {
    const t = await setup({ unknownConversations: 'all' });
    t.server.hello();
    t.server.frame(
      syncDoneFrame({
        unknown: [{ conversationId: D, lastSeq: 40, digest: EMPTY_STATE_DIGEST, fromSeq: 31 }],
      }),
    );
    const asked = t.server.syncRounds.at(-1)?.states ?? [];
    expect(asked).toEqual([
      { conversationId: D, lastSeq: 30, digest: emptyStateDigest(31, sha256), fromSeq: 31 },
    ]);
    // What the server then sends from seq 31 follows on: no hole.
    t.server.frame({
      type: 'sync.messages',
      ref: 'sync',
      messages: [message(31, { conversationId: D })],
    });
    expect(t.client.conversationStates().find((s) => s.conversationId === D)?.lastSeq).toBe(31);
  });

  it('holds its own acked messages in its state (they are not pushed back to it)', async () => {
    const t = await setup();
    jest.useFakeTimers();
    t.server.hello();
    t.server.syncDone();
    t.client.send({ conversationId: C }, 'mine');
    t.server.frame({
      type: 'ack',
      clientMsgId: 'm-1',
      conversationId: C,
      seq: 1,
      serverTime: '2026-01-01T00:00:01.000Z',
    });
    const own = message(1, {
      senderId: ME,
      senderUsername: 'alice',
      clientMsgId: 'm-1',
      text: 'mine',
    });
    expect(t.client.conversationStates()).toEqual([
      {
        conversationId: C,
        lastSeq: 1,
        digest: stateDigest(1, [stateEntryOf(own, sha256)], sha256),
      },
    ]);
    jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
    jest.useRealTimers();
    expect(t.delivered()).toEqual([{ type: 'delivered', conversationId: C, seq: 1 }]);
  });

  it('reports delivered once per conversation per window, keeps what is due while offline or paused, and sends it when stopped', async () => {
    jest.useFakeTimers();
    try {
      const t = await setup();
      t.server.hello();
      t.server.syncDone([message(1)]);
      for (const seq of [2, 3, 4]) t.server.frame({ type: 'message', message: message(seq) });
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS - 1);
      expect(t.delivered()).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(t.delivered()).toEqual([{ type: 'delivered', conversationId: C, seq: 4 }]);
      // Due while the socket is down: sent on the next socket, once.
      t.server.frame({ type: 'message', message: message(5) });
      t.server.drop();
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
      expect(t.delivered()).toHaveLength(1);
      t.server.hello();
      t.server.syncDone();
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
      expect(t.delivered().slice(1)).toEqual([{ type: 'delivered', conversationId: C, seq: 5 }]);
      // Pausing (the browser went offline) keeps what is due for the next socket.
      t.server.frame({ type: 'message', message: message(6) });
      t.client.pause('offline');
      expect(t.delivered()).toHaveLength(2);
      t.client.resume();
      t.server.hello();
      t.server.syncDone();
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
      expect(t.delivered().slice(2)).toEqual([{ type: 'delivered', conversationId: C, seq: 6 }]);
      // Stopping sends what is due at once.
      t.server.frame({ type: 'message', message: message(7) });
      t.client.stop();
      expect(t.delivered().slice(3)).toEqual([{ type: 'delivered', conversationId: C, seq: 7 }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('by default takes tails on a device that holds nothing, and everything once it holds something', async () => {
    const t = await setup();
    t.server.hello();
    const unknown = [{ conversationId: D, lastSeq: 40, digest: EMPTY_STATE_DIGEST }];
    t.server.frame(syncDoneFrame({ unknown }));
    expect(stateOf(t.server.syncRounds.at(-1))).toEqual(['d:tail']);
    t.server.frame({ type: 'sync.messages', ref: 'sync', messages: [message(1)] });
    t.server.syncDone();
    t.server.drop();
    t.server.hello();
    t.server.frame(syncDoneFrame()); // the summary: D is not held
    t.server.frame(syncDoneFrame({ agreed: 1, unknown }));
    expect(stateOf(t.server.syncRounds.at(-1))).toEqual(['d@0']);
  });

  it('never reports delivered over a lost push: it syncs and reports once the hole is filled', async () => {
    jest.useFakeTimers();
    try {
      const t = await setup();
      t.server.hello();
      t.server.syncDone([message(1)]);
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
      expect(t.delivered()).toEqual([{ type: 'delivered', conversationId: C, seq: 1 }]);
      t.server.frame({ type: 'message', message: message(3) }); // 2 was lost
      jest.advanceTimersByTime(300);
      expect(t.server.syncRounds).toHaveLength(2);
      // The summary of a@1 (the hole keeps 3 out of it); the server finds it behind.
      expect(t.server.syncRounds[1]?.summary).toEqual(
        stateSummary(t.client.conversationStates(), sha256),
      );
      t.server.frame(syncDoneFrame());
      expect(stateOf(t.server.syncRounds[2])).toEqual(['a@1']);
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
      expect(t.delivered()).toHaveLength(1);
      t.server.syncDone([message(2), message(3)]);
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
      expect(t.delivered().at(-1)).toEqual({ type: 'delivered', conversationId: C, seq: 3 });
      expect(t.seen.message?.map((e) => e.message.seq)).toEqual([1, 3, 2]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('runs a complete round when the server asks (sync.required), after the one in progress', async () => {
    const t = await setup();
    t.server.hello();
    t.server.frame({ type: 'sync.required', reason: 'gap' });
    expect(t.server.syncRounds).toHaveLength(1);
    t.server.syncDone();
    expect(t.server.syncRounds).toHaveLength(2);
    expect(t.server.syncRounds[1]?.complete).toBe(true);
    t.server.syncDone();
    t.server.frame({ type: 'sync.required', reason: 'overflow' });
    expect(t.server.syncRounds).toHaveLength(3);
  });

  it('starts over a little later when a round is answered with an error', async () => {
    jest.useFakeTimers();
    try {
      const t = await setup();
      t.server.hello();
      t.server.frame({
        type: 'error',
        ref: 'sync',
        code: ErrorCode.Unavailable,
        message: 'db down',
      });
      jest.advanceTimersByTime(1999);
      expect(t.server.syncRounds).toHaveLength(1);
      jest.advanceTimersByTime(1);
      expect(t.server.syncRounds).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps its states in its store (no message text) and starts from them after a restart', async () => {
    const store = new MemoryConversationStateStore();
    const first = await setup({ states: store });
    first.server.hello();
    first.server.syncDone([message(1), message(2)]);
    await first.client.flush();
    expect(JSON.stringify(store.saved)).not.toContain('m1');
    const held = first.client.conversationStates();

    const second = await setup({ states: store });
    expect(second.client.conversationStates()).toEqual(held);
    second.server.hello();
    expect(second.server.syncRounds[0]?.summary).toEqual(stateSummary(held, sha256));
    second.server.frame(syncDoneFrame());
    expect(second.server.syncRounds[1]?.states).toEqual(held);
  });
});

describe('ParleyClient: presence and typing', () => {
  it('counts only the first hello as the user opening the app; a reconnect restates the state and the watch', async () => {
    const t = await setup();
    t.client.watchPresence([BOB, BOB]);
    t.server.hello();
    expect(t.sent.filter((f) => f.type.startsWith('presence'))).toEqual([
      { type: 'presence.state', state: 'foreground', active: true },
      { type: 'presence.watch', userIds: [BOB] },
    ]);
    t.sent.length = 0;
    t.server.drop();
    t.server.hello();
    expect(t.sent.filter((f) => f.type.startsWith('presence'))).toEqual([
      { type: 'presence.state', state: 'foreground' },
      { type: 'presence.watch', userIds: [BOB] },
    ]);
  });

  it('starts in the background when told, and sends each change of foreground once', async () => {
    const t = await setup({ foreground: false });
    t.server.hello();
    expect(t.sent.filter((f) => f.type.startsWith('presence'))).toEqual([]);
    t.client.setForeground(true);
    t.client.setForeground(true);
    t.client.setForeground(false);
    expect(t.sent.filter((f) => f.type === 'presence.state')).toEqual([
      { type: 'presence.state', state: 'foreground', active: true },
      { type: 'presence.state', state: 'background' },
    ]);
  });

  it('sends typing at most every 3 s per conversation', async () => {
    let now = 1_000_000;
    const t = await setup({ now: () => new Date(now) });
    t.server.hello();
    expect(t.client.typing(C)).toBe(true);
    now += 2999;
    expect(t.client.typing(C)).toBe(false);
    now += 1;
    expect(t.client.typing(C)).toBe(true);
    expect(t.sent.filter((f) => f.type === 'typing')).toHaveLength(2);
  });

  it('shows a typist until the signal expires or their message arrives, and takes presence pushes', async () => {
    jest.useFakeTimers();
    try {
      const now = Date.now();
      const t = await setup();
      const typingEvents: string[] = [];
      t.client.events.on('typing', (e) => typingEvents.push(e.conversationId));
      t.server.hello();
      t.server.frame({
        type: 'typing',
        conversationId: C,
        userId: BOB,
        username: 'bob',
        expiresAt: new Date(now + 60_000).toISOString(),
      });
      expect(t.client.presence.typingIn(C, now).map((x) => x.username)).toEqual(['bob']);
      t.server.frame({ type: 'message', message: message(1) });
      expect(t.client.presence.typingIn(C, now)).toEqual([]);
      expect(typingEvents).toEqual([C, C]);
      // No wake-up is left for the signal their message ended: once the delivered report and the
      // state save are due and done, nothing of the client's is waiting on a timer.
      jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS * 5);
      expect(jest.getTimerCount()).toBe(0);

      const changed: unknown[] = [];
      t.client.events.on('presence', (users) => changed.push(...users));
      const bob = { userId: BOB, online: true, lastSeenAt: null };
      t.server.frame({ type: 'presence', users: [bob] });
      t.server.frame({ type: 'presence', users: [bob] });
      expect(changed).toEqual([bob]);
      expect(t.client.presence.of(BOB)).toEqual(bob);
    } finally {
      jest.useRealTimers();
    }
  });
});
