import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Where the e2e launcher keeps each service's pid and hold files (global-setup's logDir). */
const LOG_DIR = join(__dirname, '..', '..', '.data', 'test-logs');

/**
 * Faults on the e2e stack's services, through the files the launcher keeps (the same ones
 * `scripts/stack.sh kill|stop|start|pause|resume` use): the supervisor restarts a killed service
 * and leaves a held one down until the hold is lifted.
 */
export const StackControl = {
  pid(name: string): number {
    return Number(readFileSync(join(LOG_DIR, `${name}.pid`), 'utf8').trim());
  },

  signal(name: string, signal: NodeJS.Signals): number {
    const pid = StackControl.pid(name);
    process.kill(pid, signal);
    return pid;
  },

  /** Stops the service and keeps it down (a hold). */
  hold(name: string): void {
    writeFileSync(join(LOG_DIR, `${name}.hold`), new Date().toISOString());
  },

  release(name: string): void {
    rmSync(join(LOG_DIR, `${name}.hold`), { force: true });
  },

  held(name: string): boolean {
    return existsSync(join(LOG_DIR, `${name}.hold`));
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
