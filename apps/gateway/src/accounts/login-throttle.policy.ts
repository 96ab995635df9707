import { RedisKeys } from '@parley/common';
import { retryAfter, WindowCount } from '../throttling/throttle-counters.repository';

/**
 * Log-in throttling, as pure arithmetic. Each attempt first *reserves* a slot in three fixed-window
 * counters (ThrottleCountersRepository):
 *
 * - per (username, client address): past its limit that pair is refused (429) for the window.
 *   This is what stops a guesser, and only the guesser: the owner, from their own address, is
 *   never locked out by a stranger's wrong passwords (usernames are public).
 * - per client address, over every username: past its limit the address is refused.
 * - per username, over every address: past a threshold each further attempt is *slowed*, doubling
 *   up to a cap, never refused, so a guesser rotating addresses gains little and the owner gets in.
 *
 * A refused attempt gives its reservations back. A failed one keeps them (they are the failure
 * counts). A successful one clears the pair's and the username's counts and gives back its
 * address slot.
 */
export interface ThrottleLimits {
  maxPairFailures: number;
  maxAddressFailures: number;
  slowdownAfterFailures: number;
  maxDelayMs: number;
  windowSeconds: number;
}

/** Counter values after this attempt's reservation, and each key's remaining TTL. */
export interface ThrottleCounters {
  pair: WindowCount;
  address: WindowCount;
  username: WindowCount;
}

export type ThrottleDecision =
  { allowed: true; delayMs: number } | { allowed: false; retryAfterSeconds: number };

/** The first slowed attempt waits this long; each further one twice as long. */
export const FIRST_DELAY_MS = 250;

export function decideThrottle(
  counters: ThrottleCounters,
  limits: ThrottleLimits,
): ThrottleDecision {
  const blockedFor: number[] = [];
  if (counters.pair.count > limits.maxPairFailures) {
    blockedFor.push(retryAfter(counters.pair.ttlSeconds, limits.windowSeconds));
  }
  if (counters.address.count > limits.maxAddressFailures) {
    blockedFor.push(retryAfter(counters.address.ttlSeconds, limits.windowSeconds));
  }
  if (blockedFor.length > 0) return { allowed: false, retryAfterSeconds: Math.max(...blockedFor) };
  return { allowed: true, delayMs: slowdown(counters.username.count, limits) };
}

/** The delay for the attempt that brought a username's count to `count`. */
export function slowdown(count: number, limits: ThrottleLimits): number {
  const over = count - limits.slowdownAfterFailures;
  if (over <= 0) return 0;
  return Math.min(limits.maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(over - 1, 20));
}

export interface LoginThrottleKeys {
  pair: string;
  address: string;
  username: string;
}

export function loginThrottleKeys(usernameLowerCase: string, address: string): LoginThrottleKeys {
  return {
    pair: RedisKeys.throttle('login-pair', JSON.stringify([usernameLowerCase, address])),
    address: RedisKeys.throttle('login-address', address),
    username: RedisKeys.throttle('login-username', usernameLowerCase),
  };
}
