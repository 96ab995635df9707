import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pidFileOf } from '../../tools/stack/service-files';

/** Where the e2e launcher keeps each service's pid file (global-setup's logDir). */
const LOG_DIR = join(__dirname, '..', '..', '.data', 'test-logs');

/**
 * Faults on the e2e stack's services by their pid files (as `scripts/stack.sh kill|pause|resume`
 * does): the launcher's supervisor restarts a killed service.
 */
export const StackControl = {
  pid(name: string): number {
    return Number(readFileSync(pidFileOf(LOG_DIR, name), 'utf8').trim());
  },

  signal(name: string, signal: NodeJS.Signals): number {
    const pid = StackControl.pid(name);
    process.kill(pid, signal);
    return pid;
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
        pid = StackControl.pid(name);
      } catch {
        // Between processes.
      }
      if (pid !== 0 && pid !== oldPid && (await ready(url))) return pid;
      await delay(100);
    }
    throw new Error(`${name} was not replaced and ready within ${timeoutMs} ms`);
  },
};

export async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}
