/** One topic's partitions and the offsets to commit (the next offset to read), as kafkajs takes them. */
export interface TopicOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

export type CommitOffsetsFn = (topics: TopicOffsets[]) => Promise<void>;

interface Pending {
  topic: string;
  partition: number;
  offset: bigint;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

/**
 * Group commit for consumer offsets. Partition batches of one consumer finish at about the same
 * time (storage commits them in one transaction); committing each on its own costs one
 * OffsetCommit request per partition. Here commits that arrive while one request is in flight (or
 * in the same event-loop turn) leave together in the next request: one per round instead of one
 * per partition. Each caller's promise settles with the request that carried its offset, so "the
 * offset is committed" still means what it says. Per partition the highest offset wins (offsets
 * only move forward).
 *
 * Requests are also spaced at least `minIntervalMs` apart (KAFKA_COMMIT_INTERVAL_MS): under a
 * steady trickle every batch finishes on its own and would otherwise cost an OffsetCommit (a
 * broker request and an append to `__consumer_offsets`) each. Nothing waits for that but the
 * commit itself: handlers are done, and what a crash in the gap leaves uncommitted is redelivered
 * and absorbed by the idempotent handlers. `settled()` (closing) sends what is pending at once.
 */
export class OffsetCommitBatcher {
  private readonly pending = new Map<string, Pending>();
  private inFlight = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly send: CommitOffsetsFn,
    private readonly minIntervalMs = 0,
  ) {}

  commit(topic: string, partition: number, offset: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = `${topic}\u0000${partition}`;
      const next = BigInt(offset);
      const entry = this.pending.get(key);
      if (entry) {
        if (next > entry.offset) entry.offset = next;
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, { topic, partition, offset: next, waiters: [{ resolve, reject }] });
      }
      this.schedule();
    });
  }

  /** Resolves once every commit asked for so far has been sent and answered (or failed). */
  settled(): Promise<void> {
    if (!this.inFlight && !this.scheduled && this.pending.size === 0) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.timer) {
      // Closing: what waits for the interval goes now.
      clearTimeout(this.timer);
      this.timer = undefined;
      this.scheduled = false;
      void this.flush();
    }
    return idle;
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    // Someone is closing (settled() waits): nothing waits for the interval any more.
    const wait =
      this.idleWaiters.length > 0 ? 0 : this.lastSentAt + this.minIntervalMs - Date.now();
    const go = () => {
      this.timer = undefined;
      this.scheduled = false;
      void this.flush();
    };
    if (wait > 0) this.timer = setTimeout(go, wait);
    else setImmediate(go);
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return;
    if (this.pending.size === 0) return this.wakeIdle();
    const entries = [...this.pending.values()];
    this.pending.clear();
    const byTopic = new Map<string, TopicOffsets>();
    for (const e of entries) {
      let t = byTopic.get(e.topic);
      if (!t) byTopic.set(e.topic, (t = { topic: e.topic, partitions: [] }));
      t.partitions.push({ partition: e.partition, offset: e.offset.toString() });
    }
    this.inFlight = true;
    this.lastSentAt = Date.now();
    try {
      await this.send([...byTopic.values()]);
      for (const e of entries) for (const w of e.waiters) w.resolve();
    } catch (err) {
      for (const e of entries) for (const w of e.waiters) w.reject(err);
    } finally {
      this.inFlight = false;
      if (this.pending.size > 0) this.schedule();
      else this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
