import { ArrivalRate, type MonotonicClock } from '../arrival-rate';

/** What the broker is asked to wait for before it answers a fetch (kafkajs's fetch request). */
export interface FetchWait {
  /** Answer once this many bytes of records are ready... */
  minBytes: number;
  /** ...or once this long has passed, whichever comes first. */
  maxWaitTimeInMs: number;
}

/**
 * How long the broker may hold a fetch that is not lingering: until `minBytes` are ready or
 * `maxWaitTimeInMs` passed. 1 byte / 1.5 s for every consumer: a fetch is answered as soon as
 * anything arrives, so no record waits for a byte threshold, and an idle consumer asks every 1.5 s
 * instead of polling. Under load batches grow by themselves (what arrives while a batch is
 * handled, or during the fetch linger, is the next fetch). kafkajs heartbeats between fetches, so
 * the wait stays under the heartbeat interval (2 s at the shortest session timeout, 6 s): a member
 * is heard from at least every 3.5 s.
 */
export const LONG_POLL_FETCH: FetchWait = { minBytes: 1, maxWaitTimeInMs: 1_500 };

/**
 * A held fetch's byte threshold: far more than a linger gathers at any rate these services reach
 * (a megabyte is thousands of records), so the broker answers it when the linger ends.
 */
export const HELD_FETCH_MIN_BYTES = 1_048_576;

/**
 * The linger before a consumer's next fetch is answered, once a fetch brought records. Every
 * batch of one fetch shares one linger (it starts with the fetch's first batch, `hold`), and the
 * next fetch asks the broker to hold it until the linger ends (`fetchWait`: kafkajs asks before
 * each fetch, patches/kafkajs+2.2.4.patch), so records arriving meanwhile come in one answer (one
 * request, one group commit, one publish) instead of one fetch each. The broker holds it, not a
 * timer here: the consumer is woken once, by the answer, where a timer and then the fetch's
 * answer woke it twice. An idle consumer never lingers: no batch, no linger; its fetch is a long
 * poll that returns with the first record.
 *
 * With `minRate`, a consumer whose records arrive slower than that (records a second over the last
 * full window, ArrivalRate) does not linger either: at that rate a fetch rarely finds company
 * within `ms`, so the linger would only add its wait to every record. The rate counts every record
 * handed to `hold`, so it is the same whether the consumer lingered or not; the first window after
 * a start or a quiet spell does not linger.
 */
export class FetchLinger {
  /** When the current linger ends (on `now`'s clock); none is running once it passed. */
  private until = Number.NEGATIVE_INFINITY;
  private readonly arrivals: ArrivalRate;

  constructor(
    private readonly ms: number,
    private readonly minRate = 0,
    private readonly now: MonotonicClock = () => performance.now(),
  ) {
    this.arrivals = new ArrivalRate(now);
  }

  /**
   * A batch of `records` came: starts a linger unless one is running, lingering is off, or the
   * records arrive too slowly to gather. True when the next fetch lingers.
   */
  hold(records = 1): boolean {
    if (this.ms <= 0) return false;
    const now = this.now();
    const running = now < this.until;
    if (this.minRate > 0) {
      const rate = this.arrivals.count(records);
      if (!running && rate < this.minRate) return false;
    }
    if (!running) this.until = now + this.ms;
    return true;
  }

  /** The next fetch's wait: held until the linger ends while one runs, else the long poll. */
  fetchWait(): FetchWait {
    const left = this.until - this.now();
    if (left <= 0) return LONG_POLL_FETCH;
    return { minBytes: HELD_FETCH_MIN_BYTES, maxWaitTimeInMs: Math.ceil(left) };
  }
}
