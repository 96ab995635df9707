/** How a rate reads the time: monotonic milliseconds. */
export type MonotonicClock = () => number;

/** The window over which an arrival rate is counted. */
export const RATE_WINDOW_MS = 1_000;

/**
 * Records a second over the last full window of RATE_WINDOW_MS, for a linger that waits only when
 * records come fast enough to share what it waits for (FetchLinger's fetches, RecordBatcher's
 * produce requests). The first window after a start reads 0; a window that ran long (a quiet
 * spell) is counted over all its time, so it reads low.
 */
export class ArrivalRate {
  /** Records counted in the window that began at `windowStart`. */
  private windowRecords = 0;
  private windowStart: number;
  private rate = 0;

  constructor(private readonly now: MonotonicClock = () => performance.now()) {
    this.windowStart = now();
  }

  /** Counts `records` and returns the rate of the last full window before them. */
  count(records: number): number {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= RATE_WINDOW_MS) {
      this.rate = (this.windowRecords * 1_000) / elapsed;
      this.windowRecords = 0;
      this.windowStart = now;
    }
    this.windowRecords += records;
    return this.rate;
  }
}
