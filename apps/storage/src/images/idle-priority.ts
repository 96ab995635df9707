import { execFileSync } from 'node:child_process';

/**
 * Imported first by the image worker, before sharp loads: moves every thread of this process to
 * Linux's SCHED_IDLE class (util-linux `chrt`), and the threads libuv and libvips start later
 * inherit it. The worker then runs on the CPU the message path leaves idle, and yields it within
 * a scheduler tick when a message-path process wakes (a lower nice only shrinks its share).
 * Where `chrt` is missing or refused, the worker keeps the nice its parent gave it.
 */
export const IDLE_CLASS = ((): boolean => {
  try {
    execFileSync('chrt', ['--all-tasks', '--idle', '--pid', '0', String(process.pid)], {
      stdio: 'ignore',
      timeout: 5000,
    });
    return true;
  } catch {
    return false;
  }
})();
