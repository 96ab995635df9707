interface Waiter<V> {
  keys: string[];
  resolve: (values: (V | undefined)[]) => void;
  reject: (err: unknown) => void;
}

interface Gathering<K, V> {
  keys: Map<string, K>;
  waiters: Waiter<V>[];
  /** Starts this gathering in the spare slot once it has waited `spareAfterMs`. */
  spareTimer?: NodeJS.Timeout;
  /** It has waited `spareAfterMs` while the spare slot was taken: it takes the slot once free. */
  overdue?: boolean;
}

export interface CoalescedLoadOptions {
  /** Queries running at once; calls beyond wait and go together in the next one. */
  maxInFlight: number;
  /** Keys one query takes; a full gathering starts at once. */
  maxKeys: number;
  /**
   * A gathering that has waited this long for a slot starts anyway, beside the running queries
   * (one spare slot: at most `maxInFlight + 1` at once), so one stalled query (a connection that
   * stopped answering, until the stall watch drops it) does not hold every call behind it.
   * Unset: no spare slot.
   */
  spareAfterMs?: number;
}

/**
 * Concurrent calls of the same kind share a query (reads, and the gateway's find-or-create of
 * first contacts): while `maxInFlight` queries run, further calls gather (each distinct key once)
 * and go as ONE query when a slot frees. An idle process queries
 * at once; a busy one (hundreds of devices syncing after a gateway died) makes a few large queries
 * instead of one per call, fewer round trips and fewer pool connections held. A failed query fails
 * only the calls it carried.
 */
export class CoalescedLoad<K, V> {
  private inFlight = 0;
  private gathering?: Gathering<K, V>;

  constructor(
    private readonly run: (keys: K[]) => Promise<Map<string, V>>,
    private readonly keyOf: (key: K) => string,
    private readonly options: CoalescedLoadOptions,
  ) {}

  /** The value of each key, in order (undefined where the query found none). */
  load(keys: readonly K[]): Promise<(V | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    const gathering: Gathering<K, V> = (this.gathering ??= { keys: new Map(), waiters: [] });
    const ids = keys.map((k) => {
      const id = this.keyOf(k);
      gathering.keys.set(id, k);
      return id;
    });
    const values = new Promise<(V | undefined)[]>((resolve, reject) =>
      gathering.waiters.push({ keys: ids, resolve, reject }),
    );
    if (this.inFlight < this.options.maxInFlight || gathering.keys.size >= this.options.maxKeys) {
      this.start();
    } else if (this.options.spareAfterMs !== undefined && !gathering.spareTimer) {
      // start() clears it: when it fires, this gathering is still the one waiting.
      gathering.spareTimer = setTimeout(() => {
        // Still waiting: the running queries are slow or stalled. The spare slot, when free.
        gathering.overdue = true;
        if (this.spareFree()) this.start();
      }, this.options.spareAfterMs);
      gathering.spareTimer.unref();
    }
    return values;
  }

  private start(): void {
    const gathering = this.gathering;
    if (!gathering) return;
    clearTimeout(gathering.spareTimer);
    this.gathering = undefined;
    this.inFlight++;
    this.run([...gathering.keys.values()])
      .then(
        (found) => {
          for (const w of gathering.waiters) w.resolve(w.keys.map((id) => found.get(id)));
        },
        (err: unknown) => {
          for (const w of gathering.waiters) w.reject(err);
        },
      )
      .finally(() => {
        this.inFlight--;
        if (!this.gathering) return;
        if (
          this.inFlight < this.options.maxInFlight ||
          (this.gathering.overdue && this.spareFree())
        ) {
          this.start();
        }
      });
  }

  private spareFree(): boolean {
    return this.inFlight <= this.options.maxInFlight;
  }
}
