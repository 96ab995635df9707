import { RATE_WINDOW_MS } from '../arrival-rate';
import { FetchLinger } from './fetch-linger';

describe('FetchLinger', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives every batch of one fetch the same pause, ending `ms` after the first', async () => {
    const linger = new FetchLinger(10);
    const first = linger.pause();
    jest.advanceTimersByTime(6);
    const second = linger.pause();
    expect(second).toBe(first);
    let done = false;
    void first?.then(() => (done = true));
    jest.advanceTimersByTime(3);
    await Promise.resolve();
    expect(done).toBe(false);
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(done).toBe(true);
  });

  it('starts a new pause for the first batch after the last one ended', () => {
    const linger = new FetchLinger(10);
    const first = linger.pause();
    jest.advanceTimersByTime(10);
    const next = linger.pause();
    expect(next).toBeDefined();
    expect(next).not.toBe(first);
  });

  it('never pauses when off', () => {
    expect(new FetchLinger(0).pause()).toBeUndefined();
    expect(new FetchLinger(0, 200).pause(1_000)).toBeUndefined();
  });

  describe('with a least rate', () => {
    /** A linger of 10 ms that pauses only from 200 records a second, on a clock of our own. */
    const make = () => {
      let now = 0;
      const linger = new FetchLinger(10, 200, () => now);
      const at = (ms: number) => {
        jest.advanceTimersByTime(ms - now);
        now = ms;
      };
      return { linger, at };
    };

    it('does not pause in its first window, nor while records come slower than the rate', () => {
      const { linger, at } = make();
      // 1,000 records in the first window: no rate known yet, so no pause.
      expect(linger.pause(1_000)).toBeUndefined();
      // The next window reads 1,000 a second: batches pause from now on.
      at(RATE_WINDOW_MS);
      expect(linger.pause(1)).toBeDefined();
      at(RATE_WINDOW_MS + 20);
      // 149 more records over that window (150 with the one above): under 200, no pause.
      for (let i = 0; i < 149; i++) void linger.pause(1);
      at(2 * RATE_WINDOW_MS);
      expect(linger.pause(1)).toBeUndefined();
    });

    it('pauses once records come at the rate, and stops after a quiet spell', () => {
      const { linger, at } = make();
      void linger.pause(150);
      at(RATE_WINDOW_MS);
      // 150 a second: under the rate.
      expect(linger.pause(250)).toBeUndefined();
      at(2 * RATE_WINDOW_MS);
      // 250 a second over the last window: the batch pauses.
      expect(linger.pause(5)).toBeDefined();
      // Nothing for four seconds: 5 records over them, a rate of about one a second.
      at(6 * RATE_WINDOW_MS);
      expect(linger.pause(1)).toBeUndefined();
    });

    it('keeps the pause of a fetch for its later batches when a window turns over meanwhile', () => {
      const { linger, at } = make();
      void linger.pause(500);
      at(RATE_WINDOW_MS);
      // 500 a second over the first window: a fetch's first batch pauses 10 ms.
      expect(linger.pause(1)).toBeDefined();
      at(2 * RATE_WINDOW_MS - 5);
      const first = linger.pause(1);
      expect(first).toBeDefined();
      // The window turns over during that pause and reads 2 records a second, yet the fetch's
      // other batches share its pause: the next fetch waits for that one pause.
      at(2 * RATE_WINDOW_MS);
      expect(linger.pause(1)).toBe(first);
      // Once it ended, the slow rate holds: no pause.
      at(2 * RATE_WINDOW_MS + 10);
      expect(linger.pause(1)).toBeUndefined();
    });
  });
});
