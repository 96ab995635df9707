/**
 * Exponential reconnect delay with jitter: base * 2^attempt capped at max, times [0.5, 1). The
 * first retry after a drop comes within 125-250 ms (a gateway that died leaves its devices
 * waiting no longer than that before they ask the directory for another; spread over 125 ms
 * so they do not arrive as one burst); a server that stays unreachable is asked less and less
 * often, at most every 15 s.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 250,
  maxMs = 15_000,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * The first try after a drop when the device holds a resume ticket: within 0-100 ms. That try goes
 * to another gateway the device already knows (no directory round), so it need not wait the
 * backoff's 125 ms first; the spread keeps the devices of a dead gateway from arriving as one burst
 * of connects (a listen queue holds 511 by default).
 */
export function resumeDelay(random: () => number = Math.random, spreadMs = 100): number {
  return Math.round(spreadMs * random());
}
