export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: each delay is spread over [d*(1-jitter), d*(1+jitter)], capped at maxMs. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 30_000, jitter: 0.2 };

/** Delay before retry number `attempt` (0-based): 200 ms doubling to a 30 s cap, with jitter. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const base = Math.min(options.maxMs, options.initialMs * 2 ** exponent);
  const spread = 1 - options.jitter + 2 * options.jitter * random();
  return Math.round(Math.min(options.maxMs, base * spread));
}

/**
 * Waits `ms`, waking every `sliceMs` to call `tick` (the consumer heartbeat), and returns early
 * when `signal` aborts. A rejected tick (e.g. a rebalance) rejects the wait.
 */
export async function sleepWithTicks(
  ms: number,
  signal: AbortSignal,
  tick: () => Promise<void>,
  sliceMs = 1000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!signal.aborted) {
    const left = until - Date.now();
    if (left <= 0) return;
    await abortableDelay(Math.min(left, sliceMs), signal);
    if (!signal.aborted) await tick();
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
