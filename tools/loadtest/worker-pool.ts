import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { CachedAccount } from './accounts';
import type {
  ConnectResult,
  CoordinatorMessage,
  PresenceProgress,
  StepProgress,
  StepResult,
  WorkerInit,
  WorkerMessage,
  WorkerStep,
} from './ipc';

/**
 * How long after a step's schedule and drain end the coordinator waits for every worker's result
 * before it gives up on the run (a worker that hangs would otherwise leave it waiting silently).
 */
export const STEP_RESULT_GRACE_MS = 60_000;

export type WorkerSettings = Omit<
  WorkerInit,
  'type' | 'workerIndex' | 'workers' | 'accounts' | 'connections'
>;

/**
 * The coordinator's side of the worker processes: forks them, gives each its slice of the accounts
 * (account n goes to worker n mod W) and collects one answer per worker for each command.
 */
export class WorkerPool {
  private readonly children: ChildProcess[] = [];
  private readonly waiting = new Map<
    string,
    { answers: WorkerMessage[]; done: (all: WorkerMessage[]) => void }
  >();
  private failure: ((error: Error) => void) | undefined;
  onProgress: (progress: StepProgress) => void = () => undefined;
  onPresenceProgress: (progress: PresenceProgress) => void = () => undefined;

  /** `script`: the worker's module (tests give a stand-in). */
  constructor(
    readonly size: number,
    private readonly script = join(__dirname, 'worker.js'),
  ) {}

  get pids(): number[] {
    return this.children.map((c) => c.pid ?? 0).filter((pid) => pid > 0);
  }

  /** Forks the workers; `connectionsOf(w, accounts)` says how many sockets worker w opens. */
  async start(
    accounts: CachedAccount[],
    settings: WorkerSettings,
    connectionsOf: (workerIndex: number, slice: CachedAccount[]) => number,
  ): Promise<void> {
    const failed = new Promise<never>((_, reject) => (this.failure = reject));
    failed.catch(() => undefined);
    for (let w = 0; w < this.size; w++) {
      // Workers run with the coordinator's Node flags (e.g. `node --cpu-prof …` profiles them too).
      const child = fork(this.script, [], {
        execArgv: process.execArgv,
        stdio: 'inherit',
      });
      child.on('message', (message: WorkerMessage) => this.receive(message));
      // Any exit before close() is a failure, a clean one (code 0) included: the coordinator
      // would otherwise wait for the worker's answers with nothing left to give them.
      child.on('exit', (code, signal) => {
        if (!this.closing)
          this.failure?.(
            new Error(`worker ${w} exited before the run ended (${signal ?? `code ${code}`})`),
          );
      });
      child.on('error', (error) => {
        if (!this.closing) this.failure?.(new Error(`worker ${w}: ${error.message}`));
      });
      this.children.push(child);
    }
    const ready = this.collect('ready');
    this.children.forEach((child, w) => {
      const indices = accounts.map((_, i) => i).filter((i) => i % this.size === w);
      const slice = indices.map((i) => accounts[i]);
      const init: WorkerInit = {
        type: 'init',
        workerIndex: w,
        workers: this.size,
        accounts: indices.map((i) => ({
          index: i,
          username: accounts[i].username,
          accessToken: accounts[i].accessToken,
        })),
        connections: connectionsOf(w, slice),
        ...settings,
      };
      child.send(init);
    });
    await Promise.race([ready, failed]);
    this.failed = failed;
  }

  private failed: Promise<never> = Promise.resolve() as unknown as Promise<never>;
  private closing = false;

  /** Every worker connects its clients up to `share` of them (continuing from the last call). */
  async connect(share = 1): Promise<ConnectResult[]> {
    const answers = this.collect('connected');
    this.broadcast({ type: 'connect', share });
    return (await Promise.race([answers, this.failed])) as ConnectResult[];
  }

  /** Every worker closes its sockets; its devices keep their states and connect again later. */
  async disconnect(): Promise<void> {
    const answers = this.collect('disconnected');
    this.broadcast({ type: 'disconnect' });
    await Promise.race([answers, this.failed]);
  }

  /**
   * Runs one step on every worker and resolves with their results; fails when a worker has not
   * answered `graceMs` after the step's schedule and drain ended (a hung worker).
   */
  async step(
    make: (workerIndex: number) => WorkerStep,
    graceMs = STEP_RESULT_GRACE_MS,
  ): Promise<StepResult[]> {
    const answers = this.collect('stepResult');
    const messages = this.children.map((_, w) => make(w));
    const endsAt = Math.max(...messages.map((m) => m.startAt + m.durationMs + m.drainMs));
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          const got = this.waiting.get('stepResult')?.answers ?? [];
          const answered = new Set(got.map((a) => ('workerIndex' in a ? a.workerIndex : -1)));
          const silent = this.children.map((_, w) => w).filter((w) => !answered.has(w));
          reject(
            new Error(
              `step ${messages[0]?.step}: no result from worker ${silent.join(', ')} ` +
                `within ${graceMs} ms after the step's drain ended`,
            ),
          );
        },
        Math.max(0, endsAt - Date.now()) + graceMs,
      );
    });
    this.children.forEach((child, w) => child.send(messages[w]));
    try {
      return (await Promise.race([answers, this.failed, overdue])) as StepResult[];
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends each worker `make(w)` and resolves with every worker's answer of type `answer`. */
  async ask<T extends WorkerMessage>(
    make: (workerIndex: number) => CoordinatorMessage,
    answer: T['type'],
  ): Promise<T[]> {
    const answers = this.collect(answer);
    this.children.forEach((child, w) => child.send(make(w)));
    return (await Promise.race([answers, this.failed])) as T[];
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || !child.connected) return resolve();
            const timer = setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.send({ type: 'close' } satisfies CoordinatorMessage);
          }),
      ),
    );
  }

  private broadcast(message: CoordinatorMessage): void {
    for (const child of this.children) child.send(message);
  }

  private collect(type: string): Promise<WorkerMessage[]> {
    return new Promise((done) => this.waiting.set(type, { answers: [], done }));
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'progress') return this.onProgress(message);
    if (message.type === 'presenceProgress') return this.onPresenceProgress(message);
    if (message.type === 'fatal') {
      this.failure?.(new Error(`worker ${message.workerIndex}: ${message.message}`));
      return;
    }
    const wait = this.waiting.get(message.type);
    if (!wait) return;
    wait.answers.push(message);
    if (wait.answers.length === this.size) {
      this.waiting.delete(message.type);
      wait.done(
        wait.answers.sort((a, b) =>
          'workerIndex' in a && 'workerIndex' in b ? a.workerIndex - b.workerIndex : 0,
        ),
      );
    }
  }
}
