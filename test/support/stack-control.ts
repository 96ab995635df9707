import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { holdFileOf, pidFileOf } from '../../tools/stack/service-files';

/** Where the e2e launcher keeps each service's pid file (global-setup's logDir). */
const LOG_DIR = join(__dirname, '..', '..', '.data', 'test-logs');

/**
 * Faults on a launched stack's services by their pid files in its log folder (as
 * `scripts/stack.sh kill|pause|resume|stop|start` does): the launcher's supervisor restarts a killed
 * service, unless it is held.
 */
export function stackControlAt(logDir: string) {
  const control = {
    pid(name: string): number {
      return Number(readFileSync(pidFileOf(logDir, name), 'utf8').trim());
    },

    signal(name: string, signal: NodeJS.Signals): number {
      const pid = control.pid(name);
      process.kill(pid, signal);
      return pid;
    },

    /** Keeps the service down: the supervisor does not restart it until `release`. */
    hold(name: string): void {
      writeFileSync(holdFileOf(logDir, name), `${new Date().toISOString()}\n`);
    },

    release(name: string): void {
      rmSync(holdFileOf(logDir, name), { force: true });
    },

    /** Waits until a process other than `oldPid` runs the service and `url` answers ready. */
    async waitReplaced(
      name: string,
      oldPid: number,
      url: string,
      timeoutMs = 60_000,
    ): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        let pid = 0;
        try {
          pid = control.pid(name);
        } catch {
          // Between processes.
        }
        if (pid !== 0 && pid !== oldPid && (await ready(url))) return pid;
        await delay(100);
      }
      throw new Error(`${name} was not replaced and ready within ${timeoutMs} ms`);
    },
  };
  return control;
}

/** The e2e stack's services (global-setup's log folder). */
export const StackControl = stackControlAt(LOG_DIR);

export async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}
