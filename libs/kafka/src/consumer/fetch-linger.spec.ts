import { RATE_WINDOW_MS } from '../arrival-rate';
import { FetchLinger, HELD_FETCH_MIN_BYTES, LONG_POLL_FETCH } from './fetch-linger';

/** A linger on a clock of its own: `at(ms)` moves the clock. */
function make(ms: number, minRate = 0) {
  let now = 0;
  const linger = new FetchLinger(ms, minRate, () => now);
  const at = (time: number) => {
    now = time;
  };
  return { linger, at };
}

const held = (maxWaitTimeInMs: number) => ({ minBytes: HELD_FETCH_MIN_BYTES, maxWaitTimeInMs });

describe('FetchLinger', () => {
  it('long-polls while no linger runs', () => {
    const { linger } = make(10);
    expect(linger.fetchWait()).toEqual(LONG_POLL_FETCH);
  });

  it('has the broker hold the next fetch until `ms` after the first batch of a fetch', () => {
    const { linger, at } = make(10);
    at(100);
    expect(linger.hold()).toBe(true);
    expect(linger.fetchWait()).toEqual(held(10));
    at(106);
    // A later batch of the same fetch shares the linger: it still ends at 110.
    expect(linger.hold()).toBe(true);
    expect(linger.fetchWait()).toEqual(held(4));
    at(109.2);
    expect(linger.fetchWait()).toEqual(held(1)); // whole milliseconds, rounded up
    at(110);
    expect(linger.fetchWait()).toEqual(LONG_POLL_FETCH);
  });

  it('starts a new linger for the first batch after the last one ended', () => {
    const { linger, at } = make(10);
    linger.hold();
    at(10);
    expect(linger.hold()).toBe(true);
    at(15);
    expect(linger.fetchWait()).toEqual(held(5));
  });

  it('never lingers when off', () => {
    const off = make(0).linger;
    expect(off.hold()).toBe(false);
    expect(off.fetchWait()).toEqual(LONG_POLL_FETCH);
    const offWithRate = make(0, 200).linger;
    expect(offWithRate.hold(1_000)).toBe(false);
    expect(offWithRate.fetchWait()).toEqual(LONG_POLL_FETCH);
  });

  describe('with a least rate', () => {
    it('does not linger in its first window, nor while records come slower than the rate', () => {
      const { linger, at } = make(10, 200);
      // 1,000 records in the first window: no rate known yet, so no linger.
      expect(linger.hold(1_000)).toBe(false);
      expect(linger.fetchWait()).toEqual(LONG_POLL_FETCH);
      // The next window reads 1,000 a second: batches linger from now on.
      at(RATE_WINDOW_MS);
      expect(linger.hold(1)).toBe(true);
      expect(linger.fetchWait()).toEqual(held(10));
      at(RATE_WINDOW_MS + 20);
      // 149 more records over that window (150 with the one above): under 200, no linger.
      for (let i = 0; i < 149; i++) linger.hold(1);
      at(2 * RATE_WINDOW_MS);
      expect(linger.hold(1)).toBe(false);
      expect(linger.fetchWait()).toEqual(LONG_POLL_FETCH);
    });

    it('lingers once records come at the rate, and stops after a quiet spell', () => {
      const { linger, at } = make(10, 200);
      linger.hold(150);
      at(RATE_WINDOW_MS);
      // 150 a second: under the rate.
      expect(linger.hold(250)).toBe(false);
      at(2 * RATE_WINDOW_MS);
      // 250 a second over the last window: the batch lingers.
      expect(linger.hold(5)).toBe(true);
      // Nothing for four seconds: 5 records over them, a rate of about one a second.
      at(6 * RATE_WINDOW_MS);
      expect(linger.hold(1)).toBe(false);
    });

    it('keeps the linger of a fetch for its later batches when a window turns over meanwhile', () => {
      const { linger, at } = make(10, 200);
      linger.hold(500);
      at(RATE_WINDOW_MS);
      // 500 a second over the first window: a fetch's first batch lingers 10 ms.
      expect(linger.hold(1)).toBe(true);
      at(2 * RATE_WINDOW_MS - 5);
      expect(linger.hold(1)).toBe(true);
      // The window turns over during that linger and reads 2 records a second, yet the fetch's
      // other batches share its linger: the next fetch is held until it ends.
      at(2 * RATE_WINDOW_MS);
      expect(linger.hold(1)).toBe(true);
      expect(linger.fetchWait()).toEqual(held(5));
      // Once it ended, the slow rate holds: no linger.
      at(2 * RATE_WINDOW_MS + 5);
      expect(linger.hold(1)).toBe(false);
      expect(linger.fetchWait()).toEqual(LONG_POLL_FETCH);
    });
  });
});
