import { DEFAULT_RESTART_BACKOFF, RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  it('starts at 500 ms and doubles with every quick exit, up to 5 s', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 7 }, () => backoff.delayAfterExit(100));
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('starts over at 500 ms once the process that exited had stayed up 30 s', () => {
    const backoff = new RestartBackoff();
    for (let i = 0; i < 5; i++) backoff.delayAfterExit(1_000);
    expect(backoff.delayAfterExit(30_000)).toBe(500);
    expect(backoff.delayAfterExit(1_000)).toBe(1000);
  });

  it('keeps growing while each run stays shorter than 30 s', () => {
    const backoff = new RestartBackoff();
    expect(backoff.delayAfterExit(29_999)).toBe(500);
    expect(backoff.delayAfterExit(29_999)).toBe(1000);
    expect(backoff.delayAfterExit(29_999)).toBe(2000);
  });

  it('takes other limits', () => {
    const backoff = new RestartBackoff({ initialMs: 10, maxMs: 25, stableAfterMs: 100 });
    expect([1, 1, 1, 1].map((uptime) => backoff.delayAfterExit(uptime))).toEqual([10, 20, 25, 25]);
    expect(backoff.delayAfterExit(100)).toBe(10);
  });

  it('defaults to 500 ms / 5 s / 30 s', () => {
    expect(DEFAULT_RESTART_BACKOFF).toEqual({ initialMs: 500, maxMs: 5000, stableAfterMs: 30000 });
  });
});
