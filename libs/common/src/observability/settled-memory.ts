import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A process's memory once garbage has been collected (bytes), when it was read, and from when a
 * call collects again (until then calls get this reading).
 */
export interface SettledMemory {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  collectedAt: string;
  nextCollectionAt: string;
}

/** At most one full collection per this interval; calls in between get the last reading. */
export const SETTLED_MEMORY_INTERVAL_MS = 10_000;

type Collect = () => void;

/**
 * V8's full collection, reached without starting the process with `--expose-gc`: the flag is set
 * at run time and `gc` is taken from a fresh context (the global of the main context keeps its
 * shape). Only called from the internal memory route, which limits how often it runs.
 */
function fullCollection(): Collect {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Collect;
}

/**
 * A process's memory with garbage out of the way: resident memory read right after a full
 * collection, so two readings differ by what is live (the young generation alone may hold tens of
 * MiB of garbage between collections). A full collection pauses the process for milliseconds, so
 * it runs at most once per SETTLED_MEMORY_INTERVAL_MS.
 */
export class SettledMemoryReader {
  private last?: { at: number; memory: SettledMemory };
  private collect?: Collect;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly gc: () => Collect = fullCollection,
    private readonly usage: () => NodeJS.MemoryUsage = () => process.memoryUsage(),
  ) {}

  read(): SettledMemory {
    const now = this.now();
    if (this.last && now - this.last.at < SETTLED_MEMORY_INTERVAL_MS) return this.last.memory;
    this.collect ??= this.gc();
    this.collect();
    const m = this.usage();
    const memory: SettledMemory = {
      rssBytes: m.rss,
      heapUsedBytes: m.heapUsed,
      externalBytes: m.external,
      arrayBuffersBytes: m.arrayBuffers,
      collectedAt: new Date(now).toISOString(),
      nextCollectionAt: new Date(now + SETTLED_MEMORY_INTERVAL_MS).toISOString(),
    };
    this.last = { at: now, memory };
    return memory;
  }
}
