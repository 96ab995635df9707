/**
 * Log-in throttling, as pure arithmetic. Each attempt first *reserves* a slot in two fixed-window
 * counters in Redis (per lower-cased username and per client address). An attempt whose reservation
 * pushes a counter past its limit is refused (and the reservation undone) before any password is
 * verified. A failed attempt keeps its reservation (it is the failure count); a successful one
 * clears the username counter and gives back its address slot.
 */
export interface ThrottleLimits {
  maxUsernameFailures: number;
  maxAddressFailures: number;
  windowSeconds: number;
}

/** Counter values after this attempt's reservation, and each key's remaining TTL in seconds. */
export interface ThrottleCounters {
  username: { count: number; ttlSeconds: number };
  address: { count: number; ttlSeconds: number };
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export function decideThrottle(
  counters: ThrottleCounters,
  limits: ThrottleLimits,
): ThrottleDecision {
  const blockedFor: number[] = [];
  if (counters.username.count > limits.maxUsernameFailures) {
    blockedFor.push(retryAfter(counters.username.ttlSeconds, limits.windowSeconds));
  }
  if (counters.address.count > limits.maxAddressFailures) {
    blockedFor.push(retryAfter(counters.address.ttlSeconds, limits.windowSeconds));
  }
  if (blockedFor.length === 0) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(...blockedFor) };
}

/** Seconds until the window resets; a key without a TTL (never expected) counts as a full window. */
export function retryAfter(ttlSeconds: number, windowSeconds: number): number {
  if (ttlSeconds <= 0) return windowSeconds;
  return Math.min(Math.ceil(ttlSeconds), windowSeconds);
}

export function usernameThrottleKey(usernameLowerCase: string): string {
  return `parley:login-failures:user:${usernameLowerCase}`;
}

export function addressThrottleKey(address: string): string {
  return `parley:login-failures:addr:${address}`;
}
