import { mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * How long this machine's disk takes to make a small write durable, sampled through a step: an
 * ack means the message is committed in PostgreSQL, and a commit waits for its WAL to reach the
 * disk, so no message is acked faster than the disk flushes, and a flush that stalls stalls every
 * commit waiting behind it. The probe writes 8 kB into a preallocated 1 MiB file and `fdatasync`s
 * it, every `intervalMs` (PostgreSQL's WAL is preallocated the same way, so neither flush has
 * metadata to write), in a worker thread that only waits on the disk, and keeps each flush's time.
 * Its own cost: ten 8 kB flushes a second, against the hundred or so commits a second of a step.
 */
export interface DiskFlushSummary {
  /** Flushes timed in the interval. */
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Flushes that took 100 ms or more: each held up every commit behind it as long. */
  slow: number;
}

/** The threshold of `slow`, milliseconds. */
export const SLOW_FLUSH_MS = 100;

/**
 * The flushes' times (milliseconds, any order) as a summary, to a hundredth of a millisecond;
 * undefined when there are none.
 */
export function summarizeFlushes(latenciesMs: readonly number[]): DiskFlushSummary | undefined {
  if (latenciesMs.length === 0) return undefined;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const ms = (value: number) => Math.round(value * 100) / 100;
  const at = (q: number) => ms(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return {
    count: sorted.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: ms(sorted[sorted.length - 1]),
    slow: sorted.filter((t) => t >= SLOW_FLUSH_MS).length,
  };
}

/** The worker: preallocates the file, then writes and flushes one block per interval. */
const WORKER_SOURCE = `
const { openSync, writeSync, fdatasyncSync, closeSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { file, intervalMs } = workerData;
const BLOCK = 8192, BLOCKS = 128;
const fd = openSync(file, 'w');
const block = Buffer.alloc(BLOCK, 0x5a);
for (let i = 0; i < BLOCKS; i++) writeSync(fd, Buffer.alloc(BLOCK), 0, BLOCK, i * BLOCK);
fdatasyncSync(fd);
let next = 0, stopped = false;
parentPort.on('message', () => { stopped = true; });
const tick = () => {
  if (stopped) { closeSync(fd); parentPort.close(); return; }
  const started = process.hrtime.bigint();
  writeSync(fd, block, 0, BLOCK, next * BLOCK);
  fdatasyncSync(fd);
  parentPort.postMessage(Number(process.hrtime.bigint() - started) / 1e6);
  next = (next + 1) % BLOCKS;
  setTimeout(tick, intervalMs);
};
parentPort.postMessage('ready');
setTimeout(tick, intervalMs);
`;

export class DiskFlushProbe {
  private worker?: Worker;
  /** Resolves when the worker's thread has ended, however it ended. */
  private exited: Promise<void> = Promise.resolve();
  private latencies: number[] = [];
  private readonly file: string;

  /** `dir`: a directory on the disk to probe (the one PostgreSQL and Kafka write to). */
  constructor(
    dir: string,
    private readonly intervalMs = 100,
  ) {
    this.file = join(dir, `.disk-flush-probe-${process.pid}`);
  }

  /** Resolves once the file is allocated and the first flush is due; rejects if it cannot be. */
  async start(): Promise<void> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.file, intervalMs: this.intervalMs },
    });
    this.worker = worker;
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.exited = exited;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: unknown) => reject(err instanceof Error ? err : new Error(String(err)));
      worker.once('error', failed);
      // Once ready, this rejection is a no-op.
      void exited.then(() => reject(new Error('disk flush probe: the worker exited')));
      worker.once('message', () => {
        // A probe that fails later leaves its summaries empty; the run goes on without it.
        worker.off('error', failed);
        worker.on('error', () => undefined);
        worker.on('message', (ms: unknown) => {
          if (typeof ms === 'number') this.latencies.push(ms);
        });
        resolve();
      });
    });
  }

  /** The flushes since the previous call (or the start), and a fresh interval. */
  take(): DiskFlushSummary | undefined {
    const taken = this.latencies;
    this.latencies = [];
    return summarizeFlushes(taken);
  }

  /** Ends the worker (a flush in progress first, one stalled past a second not) and the file. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 1_000);
      await this.exited;
      clearTimeout(timer);
    }
    try {
      unlinkSync(this.file);
    } catch {
      // Never created (the worker failed first), or already gone.
    }
  }
}

/**
 * A probe started in `dir` (by default the load tool's `.data/loadtest`, on the disk PostgreSQL and
 * Kafka write to here), or undefined where it cannot run: then `warn` is told why and the run goes
 * on without the disk's figures.
 */
export async function startDiskFlushProbe(
  warn: (line: string) => void,
  dir = join(process.cwd(), '.data', 'loadtest'),
): Promise<DiskFlushProbe | undefined> {
  const probe = new DiskFlushProbe(dir);
  try {
    mkdirSync(dir, { recursive: true });
    await probe.start();
    return probe;
  } catch (error) {
    await probe.stop();
    warn(
      `warning: the disk's flushes are not timed (${error instanceof Error ? error.message : String(error)})`,
    );
    return undefined;
  }
}
