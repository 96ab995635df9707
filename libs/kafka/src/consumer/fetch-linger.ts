import { ArrivalRate, type MonotonicClock } from '../arrival-rate';

/**
 * The pause before a consumer's next fetch once a fetch brought records. kafkajs fetches again
 * when every batch of the last fetch has returned; each batch's handler call also waits for
 * `pause()`, and every batch of one fetch shares the same pause (it starts with the fetch's first
 * batch), so the next fetch comes at most `ms` later and records arriving meanwhile come in one
 * fetch (one request, one group commit, one publish) instead of one fetch each. An idle consumer
 * never pauses: no batch, no pause; its fetch is a long poll that returns with the first record.
 *
 * With `minRate`, a consumer whose records arrive slower than that (records a second over the last
 * full window, ArrivalRate) does not pause either: at that rate a fetch rarely finds company
 * within `ms`, so the pause would only add its wait to every record and a timer's wake-up to every
 * cycle. The rate counts every record handed to `pause`, so it is the same whether the consumer
 * lingered or not; the first window after a start or a quiet spell does not pause.
 */
export class FetchLinger {
  private current: Promise<void> | undefined;
  private readonly arrivals: ArrivalRate;

  constructor(
    private readonly ms: number,
    private readonly minRate = 0,
    now?: MonotonicClock,
  ) {
    this.arrivals = new ArrivalRate(now);
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
    const rate = this.arrivals.count(records);
    return this.current !== undefined || rate >= this.minRate;
  }
}
