import { backoffDelay, sleepWithTicks } from './retry-backoff';

describe('backoffDelay', () => {
  const noJitter = { initialMs: 200, maxMs: 30_000, jitter: 0 };

  it('starts at 200 ms and doubles up to the 30 s cap', () => {
    const schedule = Array.from({ length: 10 }, (_, i) => backoffDelay(i, noJitter));
    expect(schedule).toEqual([200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it('never exceeds the cap, even for huge attempt numbers or full jitter', () => {
    expect(backoffDelay(10_000, noJitter)).toBe(30_000);
    expect(backoffDelay(20, { ...noJitter, jitter: 0.2 }, () => 1)).toBe(30_000);
  });

  it('spreads delays by the jitter fraction', () => {
    const opts = { initialMs: 1000, maxMs: 30_000, jitter: 0.2 };
    expect(backoffDelay(0, opts, () => 0)).toBe(800);
    expect(backoffDelay(0, opts, () => 0.5)).toBe(1000);
    expect(backoffDelay(0, opts, () => 1)).toBe(1200);
  });
});

describe('sleepWithTicks', () => {
  it('heartbeats between slices while waiting', async () => {
    // On a fake clock: on the real one a busy machine fires a 20 ms timer late, and the count of
    // slices that fit in the sleep changes with it.
    jest.useFakeTimers();
    try {
      const tick = jest.fn(() => Promise.resolve());
      const sleeping = sleepWithTicks(55, new AbortController().signal, tick, 20);
      await jest.advanceTimersByTimeAsync(55);
      await sleeping;
      expect(tick).toHaveBeenCalledTimes(3); // after 20, 40 and 55 ms
    } finally {
      jest.useRealTimers();
    }
  });

  it('returns promptly when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await sleepWithTicks(10_000, controller.signal, () => Promise.resolve(), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects when a heartbeat fails (e.g. the group is rebalancing)', async () => {
    const tick = () => Promise.reject(new Error('rebalance'));
    await expect(sleepWithTicks(100, new AbortController().signal, tick, 10)).rejects.toThrow(
      'rebalance',
    );
  });
});
