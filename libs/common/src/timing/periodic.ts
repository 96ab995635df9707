/** The shared tick's period: every whole-second task runs on it. */
export const PERIODIC_TICK_MS = 1000;

/** Stops a task started by `periodic` (idempotent). */
export type StopPeriodic = () => void;

interface TickTask {
  readonly run: () => void;
  /** Ticks between runs. */
  readonly every: number;
  /** Ticks until the next run. */
  left: number;
}

const tasks = new Set<TickTask>();
let tick: NodeJS.Timeout | undefined;

/**
 * Runs `task` every `ms`, never keeping the process alive for it. A period that is a whole number
 * of seconds joins the process's one shared tick (one timer a second, started by the first such
 * task and stopped with the last) instead of arming an interval of its own; any other period (a
 * test's 300 ms) gets its own interval.
 *
 * Why: each wake-up of an idle process costs it CPU beyond what its callbacks do (its caches and
 * the CPU's idle state, 0.25-0.8 ms a wake-up after a quiet second on the project's VM), and
 * intervals of the same period armed at different moments each wake the process at a phase of
 * their own. Housekeeping of a second or more (liveness checks, sweeps, leases, heartbeats) shares
 * one wake-up a second this way.
 *
 * A task's first run comes on the tick after it joined at the earliest (within `ms`, after a
 * period of at least `ms` minus a second). Tasks run one after another in the order they joined;
 * a task that throws does not stop the others, and its error is thrown again from its own
 * callback, as an interval's would be.
 */
export function periodic(ms: number, task: () => void): StopPeriodic {
  if (!Number.isInteger(ms / PERIODIC_TICK_MS) || ms < PERIODIC_TICK_MS) {
    const own = setInterval(task, ms);
    own.unref();
    return () => clearInterval(own);
  }
  const every = ms / PERIODIC_TICK_MS;
  const entry: TickTask = { run: task, every, left: every };
  tasks.add(entry);
  if (!tick) {
    tick = setInterval(runTick, PERIODIC_TICK_MS);
    tick.unref();
  }
  return () => {
    if (!tasks.delete(entry) || tasks.size > 0 || !tick) return;
    clearInterval(tick);
    tick = undefined;
  };
}

/** How many tasks share the tick now (the tick is armed while any does). For tests. */
export function periodicTaskCount(): number {
  return tasks.size;
}

function runTick(): void {
  for (const entry of [...tasks]) {
    // Stopped by an earlier task of this same tick.
    if (!tasks.has(entry)) continue;
    entry.left -= 1;
    if (entry.left > 0) continue;
    entry.left = entry.every;
    try {
      entry.run();
    } catch (err) {
      setImmediate(() => {
        throw err;
      });
    }
  }
}
