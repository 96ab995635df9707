/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. Time is passed in (ms,
 * monotonic), so the arithmetic is pure and unit-tested without clocks.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Gives one token back (a taken token whose action was refused further on). */
  giveBack(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** Milliseconds until one token is available (0 if one is). */
  msUntilToken(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.refilledAt = now;
  }
}

/**
 * After a refusal, everything a client sends in the next `ms` is refused too, so sends it
 * pipelined behind the refused one cannot overtake it: a client that resends the refused ones, in
 * their order, after `retryAfterMs` keeps its order. At least a second, so pipelined frames
 * already on the wire arrive inside the window.
 */
export const MIN_COOL_DOWN_MS = 1000;

export function coolDownMs(msUntilToken: number): number {
  return Math.max(MIN_COOL_DOWN_MS, msUntilToken);
}
