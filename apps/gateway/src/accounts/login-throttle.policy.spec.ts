import {
  addressThrottleKey,
  decideThrottle,
  retryAfter,
  ThrottleLimits,
  usernameThrottleKey,
} from './login-throttle.policy';

const limits: ThrottleLimits = {
  maxUsernameFailures: 5,
  maxAddressFailures: 20,
  windowSeconds: 900,
};
const counters = (user: number, addr: number, userTtl = 600, addrTtl = 300) => ({
  username: { count: user, ttlSeconds: userTtl },
  address: { count: addr, ttlSeconds: addrTtl },
});

describe('decideThrottle', () => {
  it('allows attempts up to and including the limit (the reservation counts this attempt)', () => {
    expect(decideThrottle(counters(1, 1), limits)).toEqual({ allowed: true });
    expect(decideThrottle(counters(5, 20), limits)).toEqual({ allowed: true });
  });

  it('refuses the attempt after the limit, with the username window remaining', () => {
    expect(decideThrottle(counters(6, 1), limits)).toEqual({
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
    expect(decideThrottle(counters(6, 21, 100, 700), limits)).toEqual({
      allowed: false,
      retryAfterSeconds: 700,
    });
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

describe('throttle keys', () => {
  it('are namespaced per dimension', () => {
    expect(usernameThrottleKey('alice')).toBe('parley:login-failures:user:alice');
    expect(addressThrottleKey('::1')).toBe('parley:login-failures:addr:::1');
    expect(usernameThrottleKey('x')).not.toBe(addressThrottleKey('x'));
  });
});
