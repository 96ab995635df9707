import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { SendRateLimiter } from './send-rate.limiter';
import { MIN_COOL_DOWN_MS } from './token-bucket';
import type { QuotaGrant, UserSendQuotaRepository } from './user-send-quota.repository';

/** The user's shared budget as a plain counter (the Redis script's arithmetic is e2e-tested). */
function fakeQuota(budget: number) {
  const calls: number[] = [];
  let left = budget;
  const quota = {
    take: jest.fn((_user: string, want: number): Promise<QuotaGrant> => {
      calls.push(want);
      const granted = Math.min(want, left);
      left -= granted;
      return Promise.resolve({ granted, msUntilNextToken: granted < want ? 3000 : 0 });
    }),
  };
  return { quota: quota as unknown as UserSendQuotaRepository, calls };
}

const limits = (over: Partial<GatewayConfig> = {}) =>
  ({
    SEND_RATE_PER_SOCKET: 1,
    SEND_BURST_PER_SOCKET: 5,
    SEND_RATE_PER_USER: 1,
    SEND_BURST_PER_USER: 100,
    ...over,
  }) as GatewayConfig;

async function admitMany(limiter: SendRateLimiter, n: number, connectionId = 'c1', user = 'u1') {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limiter.admit(connectionId, user));
  return out;
}

describe('SendRateLimiter', () => {
  it('lets a socket send its burst, then refuses with a cool-down of at least a second', async () => {
    const { quota } = fakeQuota(1000);
    const limiter = new SendRateLimiter(quota, limits(), new ConnectionLifecycle());
    const decisions = await admitMany(limiter, 6);
    expect(decisions.slice(0, 5).every((d) => d.allowed)).toBe(true);
    const refused = decisions[5];
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterMs).toBeGreaterThanOrEqual(MIN_COOL_DOWN_MS);
  });

  it('keeps refusing during the cool-down so pipelined sends cannot overtake the refused one', async () => {
    // The clock stands still between sends (a loaded machine cannot refill the bucket meanwhile)
    // and moves only when the test says so.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const { quota } = fakeQuota(1000);
      const limiter = new SendRateLimiter(
        quota,
        limits({ SEND_RATE_PER_SOCKET: 1000 }),
        new ConnectionLifecycle(),
      );
      await admitMany(limiter, 5);
      expect((await limiter.admit('c1', 'u1')).allowed).toBe(false);
      // 20 ms refill 20 tokens, but the socket is cooling down.
      jest.advanceTimersByTime(20);
      expect((await limiter.admit('c1', 'u1')).allowed).toBe(false);
      // After the cool-down the refilled bucket admits again.
      jest.advanceTimersByTime(MIN_COOL_DOWN_MS);
      expect((await limiter.admit('c1', 'u1')).allowed).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('budgets each socket separately', async () => {
    const { quota } = fakeQuota(1000);
    const limiter = new SendRateLimiter(quota, limits(), new ConnectionLifecycle());
    await admitMany(limiter, 5, 'c1');
    expect((await limiter.admit('c1', 'u1')).allowed).toBe(false);
    expect((await limiter.admit('c2', 'u1')).allowed).toBe(true);
  });

  it("shares the user's budget over sockets, leasing a few tokens per call to the shared store", async () => {
    const { quota, calls } = fakeQuota(12);
    const limiter = new SendRateLimiter(
      quota,
      limits({ SEND_BURST_PER_SOCKET: 100 }),
      new ConnectionLifecycle(),
    );
    const a = await admitMany(limiter, 7, 'c1');
    const b = await admitMany(limiter, 7, 'c2');
    const allowed = [...a, ...b].filter((d) => d.allowed).length;
    expect(allowed).toBe(12);
    expect(calls.length).toBeLessThan(allowed);
    const last = b[b.length - 1];
    expect(last.allowed).toBe(false);
    if (!last.allowed) expect(last.retryAfterMs).toBe(3000);
  });

  it('forgets a closed socket', async () => {
    const { quota } = fakeQuota(1000);
    const limiter = new SendRateLimiter(quota, limits(), new ConnectionLifecycle());
    await admitMany(limiter, 6);
    limiter.forgetConnection('c1');
    expect((await limiter.admit('c1', 'u1')).allowed).toBe(true);
  });
});
