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
} from './ipc';

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

  constructor(readonly size: number) {}

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
      const child = fork(join(__dirname, 'worker.js'), [], {
        execArgv: process.execArgv,
        stdio: 'inherit',
      });
      child.on('message', (message: WorkerMessage) => this.receive(message));
      child.on('exit', (code) => {
        if (code !== 0 && !this.closing)
          this.failure?.(new Error(`worker ${w} exited with code ${code}`));
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

  async step(make: (workerIndex: number) => CoordinatorMessage): Promise<StepResult[]> {
    const answers = this.collect('stepResult');
    this.children.forEach((child, w) => child.send(make(w)));
    return (await Promise.race([answers, this.failed])) as StepResult[];
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
