/**
 * kafkajs 2.2.4 wakes an idle process far more than it needs to; two of its timers are replaced.
 *
 * 1. It spins while idle: `RequestQueue.scheduleCheckPendingRequests` arms a timer even
 * when nothing is pending, with a negative delay when the broker never throttled, and the check it
 * runs schedules the next one: a `setTimeout(0)` loop per broker connection, forever (kafkajs
 * issues #1556 and #1704, unfixed upstream). Every idle Parley service woke its event loop about
 * 1,500 times a second and burned 5-10% of a core doing nothing.
 *
 * The fix (as in the upstream pull request #1667): schedule a check only when a request is pending.
 * Pending requests exist only while the broker throttles us or the in-flight limit is reached;
 * both paths still get their check (a throttle until its end, a full queue when a response
 * frees a slot, which kafkajs already handles).
 *
 * 2. Its request timeout check runs every 100 ms on every connection: one check a second for all
 * of a process's connections now, on the process's shared tick (see REQUEST_TIMEOUT_CHECK_MS).
 */
import { periodic, type StopPeriodic } from '@parley/common';

interface InflightRequest {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  // The request timeout check (kafkajs' own fields).
  enforceRequestTimeout: boolean;
  requestTimeout: number;
  requestTimeoutIntervalId: NodeJS.Timeout | undefined;
  inflight: Map<unknown, InflightRequest>;
  isConnected(): boolean;
  /** A property, not a method: the fix keeps kafkajs' own and calls it. */
  destroy: (this: RequestQueueInternals) => void;
  scheduleRequestTimeoutCheck(): void;
}

/** kafkajs' own interval for re-checking a queue that waits without a throttle deadline. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

export function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/**
 * How often the process looks for requests past their timeout. kafkajs checks every
 * `min(requestTimeout, 100 ms)`, forever, with an interval of its own on every broker connection:
 * ten wake-ups a second per connection of an idle process (five to eight connections per consumer
 * service). Request timeouts are tens of seconds, so checking every second times a request out at
 * most a second late.
 */
export const REQUEST_TIMEOUT_CHECK_MS = 1_000;

/**
 * The connections' queues whose requests are watched, and the one check that looks at them all.
 * An idle wake-up costs a Node service 50-800 µs of CPU on a small machine, so one check a second
 * for the whole process, on its shared tick, replaces an interval per connection.
 */
const watched = new Set<RequestQueueInternals>();
let sweep: { stop: StopPeriodic; everyMs: number } | undefined;

function checkWatched(): void {
  for (const queue of [...watched]) {
    queue.inflight.forEach((request) => {
      if (Date.now() - request.sentAt > request.requestTimeout) request.timeoutRequest();
    });
    if (!queue.isConnected()) queue.destroy();
  }
}

/**
 * (Re)starts the one check at the shortest period any watched queue needs: at a second, on the
 * process's shared tick (`periodic`).
 */
function startSweep(everyMs: number): void {
  if (sweep && sweep.everyMs <= everyMs) return;
  sweep?.stop();
  sweep = { stop: periodic(everyMs, checkWatched), everyMs };
}

/** Stops the check once no queue is watched (an idle process with no broker connection). */
function stopSweepIfUnused(): void {
  if (watched.size > 0 || !sweep) return;
  sweep.stop();
  sweep = undefined;
}

/** kafkajs' scheduleRequestTimeoutCheck: the queue joins the process's one check. */
export function scheduleRequestTimeoutCheck(this: RequestQueueInternals): void {
  if (!this.enforceRequestTimeout) return;
  this.destroy();
  watched.add(this);
  startSweep(Math.min(this.requestTimeout, REQUEST_TIMEOUT_CHECK_MS));
}

/** How many connections' queues the process's check watches (tests). */
export function watchedRequestQueues(): number {
  return watched.size;
}

let applied = false;

/** Replaces the method on kafkajs' RequestQueue prototype (once per process). */
export function applyRequestQueueIdleFix(): void {
  if (applied) return;
  // kafkajs ships no types for its internals; the shape used is RequestQueueInternals.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as {
    prototype: RequestQueueInternals;
  };
  if (
    typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function' ||
    typeof RequestQueue.prototype.scheduleRequestTimeoutCheck !== 'function' ||
    typeof RequestQueue.prototype.destroy !== 'function'
  ) {
    throw new Error('kafkajs RequestQueue changed: review request-queue.idle-fix.ts');
  }
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleRequestTimeoutCheck = scheduleRequestTimeoutCheck;
  // kafkajs' destroy clears the queue's own timers; the queue also leaves the shared check.
  const destroy = RequestQueue.prototype.destroy;
  RequestQueue.prototype.destroy = function (this: RequestQueueInternals): void {
    destroy.call(this);
    if (watched.delete(this)) stopSweepIfUnused();
  };
  applied = true;
}
