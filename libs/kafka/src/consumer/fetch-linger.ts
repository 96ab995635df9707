/** How the linger reads the time: monotonic milliseconds. */
export type LingerClock = () => number;

/** The window over which the arrival rate is counted (FetchLinger's `minRate`). */
export const LINGER_RATE_WINDOW_MS = 1_000;

/**
 * The pause before a consumer's next fetch once a fetch brought records. kafkajs fetches again
 * when every batch of the last fetch has returned; each batch's handler call also waits for
 * `pause()`, and every batch of one fetch shares the same pause (it starts with the fetch's first
 * batch), so the next fetch comes at most `ms` later and records arriving meanwhile come in one
 * fetch (one request, one group commit, one publish) instead of one fetch each. An idle consumer
 * never pauses: no batch, no pause; its fetch is a long poll that returns with the first record.
 *
 * With `minRate`, a consumer whose records arrive slower than that (records a second, counted over
 * the last full window of LINGER_RATE_WINDOW_MS) does not pause either: at that rate a fetch rarely
 * finds company within `ms`, so the pause would only add its wait to every record and a timer's
 * wake-up to every cycle. The rate counts every record handed to `pause`, so it is the same
 * whether the consumer lingered or not; the first window after a start or a quiet spell does not
 * pause.
 */
export class FetchLinger {
  private current: Promise<void> | undefined;
  /** Records counted in the window that began at `windowStart`. */
  private windowRecords = 0;
  private windowStart: number;
  /** Records a second over the last full window. */
  private rate = 0;

  constructor(
    private readonly ms: number,
    private readonly minRate = 0,
    private readonly now: LingerClock = () => performance.now(),
  ) {
    this.windowStart = now();
  }

  /**
   * The pause a batch of `records` waits for, or undefined when lingering is off or the records
   * arrive too slowly to gather.
   */
  pause(records = 1): Promise<void> | undefined {
    if (this.ms <= 0) return undefined;
    if (this.minRate > 0 && !this.busy(records)) return undefined;
    this.current ??= new Promise((resolve) =>
      setTimeout(() => {
        this.current = undefined;
        resolve();
      }, this.ms),
    );
    return this.current;
  }

  /** Counts `records`; true when the last full window's rate reached `minRate`. */
  private busy(records: number): boolean {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= LINGER_RATE_WINDOW_MS) {
      // Over the whole time since the window began: after a quiet spell, a low rate.
      this.rate = (this.windowRecords * 1_000) / elapsed;
      this.windowRecords = 0;
      this.windowStart = now;
    }
    this.windowRecords += records;
    return this.current !== undefined || this.rate >= this.minRate;
  }
}
