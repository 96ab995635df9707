import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { periodic } from '../timing/periodic';

/** How often a watched connection is asked PING, and how long its answer may take (ms). */
export const REDIS_LIVENESS_DEFAULT_MS = 5_000;

/** The interval each watched connection was given, so its subscriber duplicates get the same. */
const intervals = new WeakMap<Redis, number>();

/**
 * A Redis connection can stall without closing: a peer that stops answering, a network path that
 * drops packets without a reset. TCP notices only at its keep-alive, two hours by default. A
 * command connection then waits forever on what it sent; a subscribed one hears nothing and sends
 * nothing, so nothing on this side would ever find out, and what is published meanwhile is lost.
 *
 * The watch asks PING every `everyMs` while the connection is ready (on the process's shared tick
 * when `everyMs` is whole seconds: `periodic`). A PING not answered within `everyMs` more destroys
 * the socket it was sent on; ioredis then reconnects (and subscribes again) as after any lost
 * connection, so its owner's close and ready handlers run as they do for a connection Redis
 * closed. A stall is noticed within twice `everyMs`.
 *
 * Before it acts, an overdue deadline yields once to the event loop's I/O: a process that was
 * busy past the deadline reads the answer waiting in its socket first, so a slow process is not
 * taken for a stalled connection.
 */
export function watchRedisLiveness(
  connection: Redis,
  everyMs: number,
  logger: Logger,
  what: string,
): void {
  intervals.set(connection, everyMs);
  /** The socket a PING is waiting on, if one is. */
  let waitingOn: unknown;
  const stop = periodic(everyMs, () => {
    if (waitingOn !== undefined || connection.status !== 'ready') return;
    const stream = connection.stream;
    waitingOn = stream;
    const deadline = setTimeout(
      () =>
        // By the time this runs, an answer already in the socket has been read (and settled).
        setImmediate(() => {
          if (waitingOn !== stream) return;
          waitingOn = undefined;
          if (connection.stream !== stream) return; // reconnected meanwhile
          logger.warn({ connection: what, waitedMs: everyMs }, 'redis connection stalled; dropped');
          stream.destroy();
        }),
      everyMs,
    );
    deadline.unref();
    const settle = () => {
      clearTimeout(deadline);
      if (waitingOn === stream) waitingOn = undefined;
    };
    connection.ping().then(settle, settle);
  });
  // 'end': closed for good (quit, disconnect, or no retry left); nothing more to watch.
  connection.once('end', stop);
}

/** The interval `connection` is watched at, if it is. */
export function livenessIntervalOf(connection: Redis): number | undefined {
  return intervals.get(connection);
}
