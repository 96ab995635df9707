import type { ChildProcess } from 'node:child_process';
import { RestartBackoff, RestartBackoffOptions } from './restart-backoff';

/** What the supervisor reads and updates of a running service (RunningService has more). */
export interface SupervisedService {
  name: string;
  /** The current process; replaced on every restart. */
  process: ChildProcess;
  restarts: number;
}

/**
 * Keeps the services running once the stack is up: a process that exits (a crash, a kill by a
 * fault test) while the stack is not stopping is started again through `respawn` (the launcher
 * spawns the same command with the same environment and log file) after RestartBackoff's delay.
 * stop() cancels every pending restart, and no exit restarts anything after it.
 */
export class ServiceSupervisor<S extends SupervisedService> {
  private stopping = false;
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();

  constructor(
    private readonly respawn: (service: S) => ChildProcess,
    private readonly say: (line: string) => void,
    private readonly backoffOptions?: RestartBackoffOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Watches the service's current process, started at `startedAt` (epoch ms). */
  watch(service: S, startedAt: number): void {
    this.follow(service, service.process, startedAt, new RestartBackoff(this.backoffOptions));
  }

  /** From now on nothing restarts: pending restarts are cancelled, later exits are final. */
  stop(): void {
    this.stopping = true;
    for (const timer of this.pendingRestarts) clearTimeout(timer);
    this.pendingRestarts.clear();
  }

  private follow(
    service: S,
    child: ChildProcess,
    startedAt: number,
    backoff: RestartBackoff,
  ): void {
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone || this.stopping || service.process !== child) return;
      gone = true;
      const delay = backoff.delayAfterExit(this.now() - startedAt);
      this.say(
        `${service.name} exited (code ${code} / signal ${signal}); restarting in ${delay}ms`,
      );
      const timer = setTimeout(() => {
        this.pendingRestarts.delete(timer);
        if (this.stopping) return;
        const next = this.respawn(service);
        service.process = next;
        service.restarts += 1;
        this.follow(service, next, this.now(), backoff);
      }, delay);
      this.pendingRestarts.add(timer);
    };
    child.once('exit', onGone);
    // A spawn that failed outright emits 'error' and may never emit 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) onGone(null, null);
    });
    // It may have exited before the watch began (between readiness and now).
    if (child.exitCode !== null || child.signalCode !== null) {
      onGone(child.exitCode, child.signalCode);
    }
  }
}
