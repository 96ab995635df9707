export interface RestartBackoffOptions {
  /** The first restart's delay, and the delay again after a process stayed up `stableAfterMs`. */
  initialMs: number;
  /** Delays double after each quick exit, up to this. */
  maxMs: number;
  /** A process that ran this long before exiting counts as healthy: the delay starts over. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = {
  initialMs: 500,
  maxMs: 5_000,
  stableAfterMs: 30_000,
};

/**
 * How long the stack launcher waits before restarting one service's process: 500 ms, doubling
 * with every exit that follows quickly (a crash loop) to at most 5 s, and back to 500 ms once the
 * process that exited had stayed up 30 s. One instance per service; no timers, no clock of its own.
 */
export class RestartBackoff {
  private nextMs: number;

  constructor(private readonly options: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF) {
    this.nextMs = options.initialMs;
  }

  /** The delay before restarting a process that exited after running `uptimeMs`. */
  delayAfterExit(uptimeMs: number): number {
    if (uptimeMs >= this.options.stableAfterMs) this.nextMs = this.options.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.options.maxMs);
    return delay;
  }
}
