import type { ChildProcess } from 'node:child_process';
import { RestartBackoff, RestartBackoffOptions, RestartFloor } from './restart-backoff';

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
 *
 * `floor` can hold a restart back further than the backoff would (the launcher: a gateway whose
 * peers still serve waits until its clients have moved to them, so that its boot does not take
 * the CPU their reconnects need on a shared host).
 *
 * A service can be *held* (`isHeld`, e.g. `scripts/stack.sh stop gateway-1` leaves a hold file):
 * an exit while held is not restarted; the supervisor looks again every `holdPollMs` and starts
 * the service at once when the hold is lifted (`stack.sh start gateway-1`).
 */
export class ServiceSupervisor<S extends SupervisedService> {
  private stopping = false;
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();

  constructor(
    private readonly respawn: (service: S) => ChildProcess,
    private readonly say: (line: string) => void,
    private readonly backoffOptions?: RestartBackoffOptions,
    private readonly now: () => number = Date.now,
    private readonly isHeld: (service: S) => boolean = () => false,
    private readonly holdPollMs = 250,
    private readonly floor: RestartFloor<S> = () => undefined,
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

  private restartAfter(service: S, delayMs: number, backoff: RestartBackoff): void {
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(timer);
      if (!this.stopping) this.respawnNow(service, backoff);
    }, delayMs);
    this.pendingRestarts.add(timer);
  }

  private respawnNow(service: S, backoff: RestartBackoff): void {
    const next = this.respawn(service);
    service.process = next;
    service.restarts += 1;
    this.follow(service, next, this.now(), backoff);
  }

  /** Polls the hold; once lifted, starts the service with no delay (someone asked for it). */
  private waitForRelease(service: S, backoff: RestartBackoff): void {
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(timer);
      if (this.stopping) return;
      if (this.isHeld(service)) return this.waitForRelease(service, backoff);
      this.say(`${service.name} starting (hold lifted)`);
      this.respawnNow(service, backoff);
    }, this.holdPollMs);
    this.pendingRestarts.add(timer);
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
      if (this.isHeld(service)) {
        this.say(`${service.name} stopped (held: not restarted until started again)`);
        this.waitForRelease(service, backoff);
        return;
      }
      const backedOff = backoff.delayAfterExit(this.now() - startedAt);
      // The floor speaks only when it is what holds the restart back.
      const floor = this.floor(service);
      const held = floor && floor.ms > backedOff ? floor : undefined;
      const delay = held?.ms ?? backedOff;
      this.say(
        `${service.name} exited (code ${code} / signal ${signal}); restarting in ${delay}ms` +
          (held ? ` (${held.why})` : ''),
      );
      this.restartAfter(service, delay, backoff);
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
