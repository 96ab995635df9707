import { applyRequestQueueIdleFix, watchedRequestQueues } from './request-queue.idle-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: {
  instrumentationEmitter?: unknown;
  maxInFlightRequests?: number | null;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  clientId: string;
  broker: string;
  logger: unknown;
  isConnected?: () => boolean;
}) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  destroy(): void;
};

const silent = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => silent };

function queue(isConnected: () => boolean = () => true) {
  return new RequestQueue({
    clientId: 'test',
    broker: 'localhost:9092',
    logger: silent,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    isConnected,
  });
}

describe('kafkajs RequestQueue idle fix', () => {
  beforeAll(() => applyRequestQueueIdleFix());

  it('arms no timer while nothing is pending (kafkajs 2.2.4 looped on setTimeout forever)', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks a pending request when the throttle ends', () => {
    jest.useFakeTimers();
    try {
      const q = queue();
      const check = jest.spyOn(q, 'checkPendingRequests').mockImplementation(() => undefined);
      q.pending.push({});
      q.throttledUntil = Date.now() + 50;
      q.scheduleCheckPendingRequests();
      expect(q.throttleCheckTimeoutId).not.toBeNull();
      jest.advanceTimersByTime(49);
      expect(check).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(check).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('looks for timed-out requests once a second, not every 100 ms, and still times them out', () => {
    jest.useFakeTimers();
    try {
      const q = queue();
      const timedOut = jest.fn();
      q.inflight.set(1, { sentAt: Date.now(), requestTimeout: 30_000, timeoutRequest: timedOut });
      const each = jest.spyOn(q.inflight, 'forEach');
      q.scheduleRequestTimeoutCheck();
      jest.advanceTimersByTime(999);
      expect(each).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(each).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(29_000);
      expect(timedOut).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1_000);
      expect(timedOut).toHaveBeenCalledTimes(1);
      q.destroy();
    } finally {
      jest.useRealTimers();
    }
  });

  it("checks every connection's requests with one interval for the process, not one each", () => {
    jest.useFakeTimers();
    try {
      const queues = [queue(), queue(), queue()];
      const timedOut = queues.map((q, i) => {
        const fn = jest.fn();
        q.inflight.set(i, { sentAt: Date.now(), requestTimeout: 30_000, timeoutRequest: fn });
        q.scheduleRequestTimeoutCheck();
        return fn;
      });
      expect(jest.getTimerCount()).toBe(1);
      expect(watchedRequestQueues()).toBe(3);
      jest.advanceTimersByTime(31_000);
      for (const fn of timedOut) expect(fn).toHaveBeenCalledTimes(1);
      // A queue destroyed (its connection closed) leaves the check; the last one stops it.
      queues[0].destroy();
      expect(watchedRequestQueues()).toBe(2);
      expect(jest.getTimerCount()).toBe(1);
      queues[1].destroy();
      queues[2].destroy();
      expect(watchedRequestQueues()).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops a queue whose connection is gone at its next check', () => {
    jest.useFakeTimers();
    try {
      let connected = true;
      const q = queue(() => connected);
      q.scheduleRequestTimeoutCheck();
      jest.advanceTimersByTime(1_000);
      expect(watchedRequestQueues()).toBe(1);
      connected = false;
      jest.advanceTimersByTime(1_000);
      expect(watchedRequestQueues()).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
