import { CursorsMovedV1, PayloadOf, Topic } from '@parley/common';
import type { EventPublisher } from '@parley/kafka';
import { CursorEventsPublisher } from './cursor-events.publisher';

type Payload = PayloadOf<typeof CursorsMovedV1>;
const conv = (n: number) => `1763900000000-${String(n).padStart(32, '0')}`;
const alice = '0b6f7c1e-0000-4000-8000-000000000001';

/** A stand-in for Kafka: records each publish; `fail` makes the next ones reject. */
function fakeKafka() {
  const published: { topic: string; key: string; type: string; payload: Payload }[] = [];
  const state = { fail: false };
  const publisher = {
    publish: (topic: string, key: string, contract: { type: string }, payload: Payload) => {
      if (state.fail) return Promise.reject(new Error('broker down'));
      published.push({ topic, key, type: contract.type, payload });
      return Promise.resolve();
    },
  } as unknown as EventPublisher;
  return { publisher, published, state };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('CursorEventsPublisher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const make = () => {
    const kafka = fakeKafka();
    const cursors = new CursorEventsPublisher(kafka.publisher, {
      CURSOR_FLUSH_MS: 250,
      GATEWAY_ID: 'gateway-1',
    });
    return { kafka, cursors };
  };

  it('publishes the moves of a window as one cursors.moved record, and settles their promises then', async () => {
    const { kafka, cursors } = make();
    const settled: number[] = [];
    for (let i = 0; i < 30; i++) {
      void cursors
        .delivered({ conversationId: conv(i), userId: alice, deviceId: 'phone', seq: 1 })
        .then(() => settled.push(i));
    }
    void cursors
      .read({ conversationId: conv(0), userId: alice, seq: 1 })
      .then(() => settled.push(-1));
    jest.advanceTimersByTime(249);
    await flush();
    expect(kafka.published).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await flush();
    expect(kafka.published).toHaveLength(1);
    expect(kafka.published[0]).toMatchObject({ topic: Topic.Cursors, type: 'cursors.moved' });
    expect(kafka.published[0].payload.delivered).toHaveLength(30);
    expect(kafka.published[0].payload.read).toEqual([
      { conversationId: conv(0), userId: alice, seq: 1 },
    ]);
    expect(settled).toHaveLength(31);
  });

  it('spreads records over the partitions by key, window after window', async () => {
    const { kafka, cursors } = make();
    for (let w = 0; w < 3; w++) {
      void cursors.delivered({ conversationId: conv(w), userId: alice, deviceId: 'phone', seq: 1 });
      jest.advanceTimersByTime(250);
      await flush();
    }
    expect(new Set(kafka.published.map((p) => p.key)).size).toBe(3);
    expect(kafka.published.every((p) => p.key.startsWith('gateway-1:'))).toBe(true);
  });

  it('keeps moves it could not publish and publishes them, with newer ones, in the next window', async () => {
    const { kafka, cursors } = make();
    kafka.state.fail = true;
    let settled = false;
    void cursors
      .delivered({ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 3 })
      .then(() => (settled = true));
    jest.advanceTimersByTime(250);
    await flush();
    expect(kafka.published).toHaveLength(0);
    expect(settled).toBe(false);
    kafka.state.fail = false;
    void cursors.delivered({ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 4 });
    jest.advanceTimersByTime(250);
    await flush();
    expect(kafka.published.map((p) => p.payload.delivered)).toEqual([
      [{ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 4 }],
    ]);
    expect(settled).toBe(true);
  });

  it('publishes at once when a window holds a full record, and what is left at shutdown', async () => {
    const { kafka, cursors } = make();
    for (let i = 0; i < 1000; i++) {
      void cursors.delivered({ conversationId: conv(i), userId: alice, deviceId: 'phone', seq: 1 });
    }
    jest.advanceTimersByTime(0);
    await flush();
    expect(kafka.published).toHaveLength(1);
    void cursors.read({ conversationId: conv(1), userId: alice, seq: 1 });
    await cursors.beforeApplicationShutdown();
    expect(kafka.published).toHaveLength(2);
    expect(kafka.published[1].payload.read).toHaveLength(1);
  });
});
