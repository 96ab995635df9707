import { RATE_WINDOW_MS } from '../arrival-rate';
import type { OutgoingRecord } from './producer-record';
import {
  ProducerClosedError,
  ProducerOverloadedError,
  RecordBatcher,
  RecordBatcherOptions,
  recordBytes,
  TopicBatch,
} from './record-batcher';

const record = (key: string, value = key): OutgoingRecord => ({ key, value, headers: {} });

interface Deferred {
  batches: TopicBatch[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A fake produce call: records every request and lets the test acknowledge or fail each one. */
function fakeSend() {
  const requests: Deferred[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = (batches: TopicBatch[]) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = (fn: () => void) => () => {
        inFlight--;
        fn();
      };
      requests.push({
        batches,
        resolve: done(resolve),
        reject: (err: Error) => done(() => reject(err))(),
      });
    });
  return { send, requests, maxInFlight: () => maxInFlight };
}

const options = (over: Partial<RecordBatcherOptions> = {}): RecordBatcherOptions => ({
  lingerMs: 5,
  lingerMinRate: 0,
  maxBatchRecords: 100,
  maxBatchBytes: 1_000_000,
  maxPending: 1000,
  ...over,
});

const keys = (batches: TopicBatch[]) =>
  batches.map((b) => `${b.topic}:${b.messages.map((m) => m.value).join(',')}`);

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('RecordBatcher', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('sends what arrives within the linger as one request, grouped by topic in order', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options());
    const a = batcher.enqueue('t1', [record('k1', 'a')]);
    const b = batcher.enqueue('t2', [record('k2', 'b')]);
    const c = batcher.enqueue('t1', [record('k1', 'c'), record('k3', 'd')]);
    expect(fake.requests).toHaveLength(0);
    jest.advanceTimersByTime(5);
    expect(fake.requests).toHaveLength(1);
    expect(keys(fake.requests[0].batches)).toEqual(['t1:a,c,d', 't2:b']);
    fake.requests[0].resolve();
    await expect(Promise.all([a, b, c])).resolves.toEqual([undefined, undefined, undefined]);
    expect(batcher.pending).toBe(0);
  });

  it('keeps one request in flight; what queued meanwhile goes next, in enqueue order', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options());
    const first = batcher.enqueue('t', [record('k', '1')]);
    jest.advanceTimersByTime(5);
    const later = [2, 3, 4].map((n) => batcher.enqueue('t', [record('k', String(n))]));
    jest.advanceTimersByTime(50);
    expect(fake.requests).toHaveLength(1); // still waiting for the first ack
    expect(batcher.pending).toBe(4);
    fake.requests[0].resolve();
    await first;
    await settle();
    expect(fake.requests).toHaveLength(2);
    expect(keys(fake.requests[1].batches)).toEqual(['t:2,3,4']);
    fake.requests[1].resolve();
    await Promise.all(later);
    expect(fake.maxInFlight()).toBe(1);
  });

  it('counts the linger from the oldest waiting record, also across a request in flight', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ lingerMs: 10 }));
    void batcher.enqueue('t', [record('k', '1')]);
    jest.advanceTimersByTime(10);
    expect(fake.requests).toHaveLength(1);
    jest.advanceTimersByTime(2);
    void batcher.enqueue('t', [record('k', '2')]); // queued 2 ms into the request
    jest.advanceTimersByTime(1);
    fake.requests[0].resolve(); // acknowledged 3 ms in: '2' has 9 ms of linger left
    await settle();
    void batcher.enqueue('t', [record('k', '3')]);
    jest.advanceTimersByTime(8);
    expect(fake.requests).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(fake.requests).toHaveLength(2);
    expect(keys(fake.requests[1].batches)).toEqual(['t:2,3']);
  });

  it('settles each record with the request that carried it (a failure rejects only that one)', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ maxBatchRecords: 2 }));
    const results = ['1', '2', '3'].map((v) =>
      batcher.enqueue('t', [record('k', v)]).then(
        () => 'ok',
        (err: Error) => err.message,
      ),
    );
    // full at 2 records: sent without waiting for the linger
    expect(fake.requests).toHaveLength(1);
    expect(keys(fake.requests[0].batches)).toEqual(['t:1,2']);
    fake.requests[0].reject(new Error('broker said no'));
    await settle();
    jest.advanceTimersByTime(5); // '3' lingers like any record
    expect(fake.requests).toHaveLength(2);
    expect(keys(fake.requests[1].batches)).toEqual(['t:3']);
    fake.requests[1].resolve();
    await expect(Promise.all(results)).resolves.toEqual(['broker said no', 'broker said no', 'ok']);
  });

  it('counts UTF-8 bytes, not UTF-16 units: CJK text fills a request three times faster', () => {
    const cjk = record('k', '字'.repeat(100)); // 100 UTF-16 units, 300 UTF-8 bytes
    const ascii = record('k', 'a'.repeat(100));
    expect(recordBytes(cjk) - recordBytes(ascii)).toBe(200);
    expect(recordBytes(record('k', 'v'))).toBe(recordBytes({ key: 'k', value: 'v', headers: {} }));
    expect(recordBytes({ key: 'k', value: 'v', headers: { 'event-type': 'x' } })).toBeGreaterThan(
      recordBytes(record('k', 'v')) + 'event-type'.length,
    );
  });

  it('never lets a request carry more bytes than maxBatchBytes: separate sends wait for the next one', async () => {
    const fake = fakeSend();
    const one = recordBytes(record('k', '字'.repeat(100)));
    const batcher = new RecordBatcher(fake.send, options({ maxBatchBytes: one * 2 }));
    for (const v of ['一', '二', '三']) void batcher.enqueue('t', [record('k', v.repeat(100))]);
    expect(fake.requests[0].batches[0].messages).toHaveLength(2);
    fake.requests[0].resolve();
    await settle();
    jest.advanceTimersByTime(5);
    expect(fake.requests[1].batches[0].messages.map((m) => m.value[0])).toEqual(['三']);
  });

  it('splits one publishMany larger than a request into consecutive requests, in order, settling once all are acknowledged', async () => {
    const fake = fakeSend();
    const size = recordBytes(record('k', 'aaaa'));
    const batcher = new RecordBatcher(fake.send, options({ maxBatchBytes: size * 2 }));
    let settled = false;
    const many = batcher
      .enqueue(
        't',
        ['a1', 'a2', 'a3', 'a4', 'a5'].map((v) => record('k', v.padEnd(4, 'x'))),
      )
      .then(() => (settled = true));
    expect(keys(fake.requests[0].batches)).toEqual(['t:a1xx,a2xx']);
    fake.requests[0].resolve();
    await settle();
    expect(keys(fake.requests[1].batches)).toEqual(['t:a3xx,a4xx']);
    fake.requests[1].resolve();
    await settle();
    jest.advanceTimersByTime(5);
    expect(keys(fake.requests[2].batches)).toEqual(['t:a5xx']);
    expect(settled).toBe(false);
    fake.requests[2].resolve();
    await many;
    expect(settled).toBe(true);
  });

  it('refuses past maxPending with ProducerOverloadedError, and accepts again once drained', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ maxPending: 3 }));
    const accepted = [1, 2, 3].map((n) => batcher.enqueue('t', [record('k', String(n))]));
    expect(batcher.saturated).toBe(true);
    await expect(batcher.enqueue('t', [record('k', '4')])).rejects.toBeInstanceOf(
      ProducerOverloadedError,
    );
    jest.advanceTimersByTime(5);
    fake.requests[0].resolve();
    await Promise.all(accepted);
    expect(batcher.saturated).toBe(false);
    const again = batcher.enqueue('t', [record('k', '5')]);
    jest.advanceTimersByTime(5);
    fake.requests[1].resolve();
    await expect(again).resolves.toBeUndefined();
  });

  it('accepts one entry bigger than the bound when nothing else waits', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ maxPending: 2 }));
    const big = batcher.enqueue('t', [record('a'), record('b'), record('c')]);
    jest.advanceTimersByTime(5);
    fake.requests[0].resolve();
    await expect(big).resolves.toBeUndefined();
  });

  it('flushes everything on close without waiting for the linger, then refuses', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ lingerMs: 10_000 }));
    const queued = [batcher.enqueue('t', [record('k', '1')]), batcher.enqueue('u', [record('j')])];
    const closed = batcher.close();
    expect(fake.requests).toHaveLength(1);
    expect(keys(fake.requests[0].batches)).toEqual(['t:1', 'u:j']);
    await expect(batcher.enqueue('t', [record('k', '2')])).rejects.toBeInstanceOf(
      ProducerClosedError,
    );
    fake.requests[0].resolve();
    await closed;
    await Promise.all(queued);
    expect(batcher.pending).toBe(0);
  });

  it('lets a record wait its own linger: a longer one goes with the next shorter one, or when its own ends', async () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ lingerMs: 5 }));
    const patient = batcher.enqueue('conn', [record('u', 'opened')], 50);
    jest.advanceTimersByTime(10);
    expect(fake.requests).toHaveLength(0);
    // A message with the default linger brings the request forward and takes the event along.
    const urgent = batcher.enqueue('msg', [record('k', 'hello')]);
    jest.advanceTimersByTime(4);
    expect(fake.requests).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(fake.requests).toHaveLength(1);
    expect(keys(fake.requests[0].batches)).toEqual(['conn:opened', 'msg:hello']);
    fake.requests[0].resolve();
    await expect(Promise.all([patient, urgent])).resolves.toEqual([undefined, undefined]);

    // Alone, it waits its whole linger; what comes meanwhile with the same linger shares it.
    const alone = batcher.enqueue('conn', [record('u', 'closed')], 50);
    jest.advanceTimersByTime(30);
    const mate = batcher.enqueue('conn', [record('v', 'opened')], 50);
    jest.advanceTimersByTime(19);
    expect(fake.requests).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(fake.requests).toHaveLength(2);
    expect(keys(fake.requests[1].batches)).toEqual(['conn:closed,opened']);
    fake.requests[1].resolve();
    await expect(Promise.all([alone, mate])).resolves.toEqual([undefined, undefined]);
  });

  it('sends at once with lingerMs 0', () => {
    const fake = fakeSend();
    const batcher = new RecordBatcher(fake.send, options({ lingerMs: 0 }));
    void batcher.enqueue('t', [record('k')]);
    expect(fake.requests).toHaveLength(1);
  });

  describe('with a least rate', () => {
    /** A 5 ms linger from 200 records a second, the rate read on a clock of our own. */
    const make = () => {
      const fake = fakeSend();
      let now = 0;
      const batcher = new RecordBatcher(
        fake.send,
        options({ lingerMs: 5, lingerMinRate: 200 }),
        () => now,
      );
      const at = (ms: number) => {
        jest.advanceTimersByTime(ms - now);
        now = ms;
      };
      /** Acknowledges the last request and lets the batcher go on. */
      const ack = async () => {
        fake.requests[fake.requests.length - 1].resolve();
        await settle();
      };
      return { fake, batcher, at, ack };
    };
    const many = (n: number) => Array.from({ length: n }, (_, i) => record('k', String(i)));

    it('sends at once while records come slower than the rate, lingers once they come at it', async () => {
      const { fake, batcher, at, ack } = make();
      // The first window knows no rate yet: 300 records go at once.
      void batcher.enqueue('t', many(300));
      expect(fake.requests).toHaveLength(1);
      await ack();
      // 300 a second over the last window: a record waits its linger.
      at(RATE_WINDOW_MS);
      void batcher.enqueue('t', [record('k', 'a')]);
      at(RATE_WINDOW_MS + 4);
      void batcher.enqueue('t', [record('k', 'b')]);
      expect(fake.requests).toHaveLength(1);
      at(RATE_WINDOW_MS + 5);
      expect(fake.requests).toHaveLength(2);
      expect(keys(fake.requests[1].batches)).toEqual(['t:a,b']);
      await ack();
      // 2 over that window: under the rate again, so the next record goes at once.
      at(2 * RATE_WINDOW_MS);
      void batcher.enqueue('t', [record('k', 'c')]);
      expect(fake.requests).toHaveLength(3);
    });

    it('after a quiet spell sends at once; a record with a linger of its own keeps it', async () => {
      const { fake, batcher, at, ack } = make();
      void batcher.enqueue('t', many(500));
      await ack();
      at(RATE_WINDOW_MS);
      void batcher.enqueue('t', [record('k', 'busy')]);
      at(RATE_WINDOW_MS + 5);
      expect(fake.requests).toHaveLength(2);
      await ack();
      // Nothing for five seconds: one record over them reads far under the rate.
      at(6 * RATE_WINDOW_MS);
      void batcher.enqueue('conn', [record('u', 'opened')], 50);
      expect(fake.requests).toHaveLength(2);
      at(6 * RATE_WINDOW_MS + 49);
      expect(fake.requests).toHaveLength(2);
      void batcher.enqueue('t', [record('k', 'quiet')]);
      // The default linger is none now: the waiting connection event rides along.
      expect(fake.requests).toHaveLength(3);
      expect(keys(fake.requests[2].batches)).toEqual(['conn:opened', 't:quiet']);
    });
  });

  it('turns a send that throws synchronously into rejected publishes', async () => {
    const batcher = new RecordBatcher(
      () => {
        throw new Error('not connected');
      },
      options({ lingerMs: 0 }),
    );
    await expect(batcher.enqueue('t', [record('k')])).rejects.toThrow('not connected');
    expect(batcher.pending).toBe(0);
  });
});
