/**
 * An open-loop send schedule: message k of a step is due at startAt + k / rate, whatever happened
 * to the earlier ones. A generator that stalls sends the overdue messages as soon as it can, and
 * every latency is measured from the SCHEDULED time (never from when the message actually went
 * out), so a stall, in the generator or in the server, shows up in the numbers instead of quietly
 * lowering the offered load (no coordinated omission).
 */
export class OpenLoopSchedule {
  private next = 0;
  private readonly intervalMs: number;

  constructor(
    readonly startAt: number,
    readonly ratePerSecond: number,
    readonly total: number,
  ) {
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** The scheduled time of message k. */
  scheduledAt(k: number): number {
    return this.startAt + k * this.intervalMs;
  }

  get done(): boolean {
    return this.next >= this.total;
  }

  /** Sends every message due by `now` (k, scheduled time); returns how many went out. */
  sendDue(now: number, send: (k: number, scheduledAt: number) => void): number {
    let sent = 0;
    while (this.next < this.total) {
      const scheduled = this.scheduledAt(this.next);
      if (scheduled > now) break;
      send(this.next, scheduled);
      this.next++;
      sent++;
    }
    return sent;
  }

  /** Milliseconds from `now` until the next message is due (0 if overdue; Infinity when done). */
  waitMs(now: number): number {
    if (this.done) return Infinity;
    return Math.max(0, this.scheduledAt(this.next) - now);
  }
}

/**
 * Runs `tick` every `everyMs` until `work` settles, skipping a turn while one is in progress (none
 * when `tick` is undefined); resolves or rejects as `work` does, once a tick in progress is over.
 * `tick` handles its own errors (as `analyzeStackDueTables` does): a rejection would go unhandled.
 */
export async function whileRunning<T>(
  work: Promise<T>,
  everyMs: number,
  tick: (() => Promise<void>) | undefined,
): Promise<T> {
  if (!tick) return work;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = tick().finally(() => (running = undefined));
  }, everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    await running;
  }
}
