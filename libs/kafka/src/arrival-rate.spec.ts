import { ArrivalRate, RATE_WINDOW_MS } from './arrival-rate';

describe('ArrivalRate', () => {
  it('reads 0 in its first window, then the last full window, a quiet spell over all its time', () => {
    let now = 0;
    const rate = new ArrivalRate(() => now);
    expect(rate.count(400)).toBe(0);
    now = RATE_WINDOW_MS / 2;
    expect(rate.count(100)).toBe(0);
    // The first window held 500 records.
    now = RATE_WINDOW_MS;
    expect(rate.count(10)).toBe(500);
    // Still the same window's reading until the next one is full.
    now = RATE_WINDOW_MS + 999;
    expect(rate.count(10)).toBe(500);
    // 20 records over a window that ran four seconds: 5 a second.
    now = 5 * RATE_WINDOW_MS;
    expect(rate.count(1)).toBe(5);
  });
});
