import {
  decideThrottle,
  FIRST_DELAY_MS,
  loginThrottleKeys,
  slowdown,
  ThrottleLimits,
} from './login-throttle.policy';
import { retryAfter } from '../throttling/throttle-counters.repository';

const limits: ThrottleLimits = {
  maxPairFailures: 5,
  maxAddressFailures: 20,
  slowdownAfterFailures: 10,
  maxDelayMs: 5000,
  windowSeconds: 900,
};
const counters = (pair: number, addr: number, user = pair, pairTtl = 600, addrTtl = 300) => ({
  pair: { count: pair, ttlSeconds: pairTtl },
  address: { count: addr, ttlSeconds: addrTtl },
  username: { count: user, ttlSeconds: 900 },
});

describe('decideThrottle', () => {
  it('allows attempts up to and including the limit (the reservation counts this attempt)', () => {
    expect(decideThrottle(counters(1, 1), limits)).toEqual({ allowed: true, delayMs: 0 });
    expect(decideThrottle(counters(5, 20), limits)).toEqual({ allowed: true, delayMs: 0 });
  });

  it('refuses the (username, address) pair after its limit, with the pair window remaining', () => {
    expect(decideThrottle(counters(6, 6), limits)).toEqual({
      allowed: false,
      retryAfterSeconds: 600,
    });
  });

  it('refuses past the per-address limit whatever the username', () => {
    expect(decideThrottle(counters(1, 21), limits)).toEqual({
      allowed: false,
      retryAfterSeconds: 300,
    });
  });

  it('reports the longer wait when both counters are over', () => {
    expect(decideThrottle(counters(6, 21, 6, 100, 700), limits)).toEqual({
      allowed: false,
      retryAfterSeconds: 700,
    });
  });

  it('never refuses for the username alone: many addresses failing for it only slow it down', () => {
    const decision = decideThrottle(counters(1, 1, 500), limits);
    expect(decision).toEqual({ allowed: true, delayMs: limits.maxDelayMs });
  });
});

describe('slowdown', () => {
  it('is zero up to the threshold, then doubles per failure up to the cap', () => {
    expect(slowdown(10, limits)).toBe(0);
    expect(slowdown(11, limits)).toBe(FIRST_DELAY_MS);
    expect(slowdown(12, limits)).toBe(FIRST_DELAY_MS * 2);
    expect(slowdown(13, limits)).toBe(FIRST_DELAY_MS * 4);
    expect(slowdown(20, limits)).toBe(limits.maxDelayMs);
    expect(slowdown(1_000_000, limits)).toBe(limits.maxDelayMs);
  });
});

describe('retryAfter', () => {
  it('is the remaining window, at least 1s, at most the window', () => {
    expect(retryAfter(1, 900)).toBe(1);
    expect(retryAfter(899.2, 900)).toBe(900);
    expect(retryAfter(5000, 900)).toBe(900);
  });

  it('falls back to the full window for keys without a TTL', () => {
    expect(retryAfter(-1, 900)).toBe(900);
    expect(retryAfter(0, 900)).toBe(900);
  });
});

describe('loginThrottleKeys', () => {
  it('are namespaced per dimension, and a pair cannot be forged from another pair', () => {
    const keys = loginThrottleKeys('alice', '10.0.0.1');
    expect(new Set(Object.values(keys)).size).toBe(3);
    expect(keys.pair).not.toBe(loginThrottleKeys('alice","10.0.0.1', '').pair);
    expect(keys.address).toBe(loginThrottleKeys('bob', '10.0.0.1').address);
    expect(keys.username).toBe(loginThrottleKeys('alice', '10.9.9.9').username);
  });
});
