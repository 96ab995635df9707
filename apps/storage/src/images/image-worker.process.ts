import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import type { StorageConfig } from '../config/storage.config';
import type { ImageLimits } from './image-processor';
import type { ImageJob, ImageJobResult } from './image-worker.protocol';

/**
 * The worker's niceness, a fallback: the worker puts itself in the SCHED_IDLE class at start
 * (idle-priority.ts), where niceness no longer counts; without `chrt` this still gives the
 * message path's processes (at 0) nearly all the CPU they ask for.
 */
export const IMAGE_WORKER_NICE = 19;

/**
 * Storage's image worker child process (image-worker.ts), started with the first upload (a
 * storage that never sees an image never loads sharp): one job at a time (the consumer hands
 * them one by one), answered by job id. A worker that dies on a job answers it `crashed` (the
 * upload is refused as unreadable) and the next job starts a new one.
 */
@Injectable()
export class ImageWorkerProcess implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ImageWorkerProcess.name);
  private child?: ChildProcess;
  private nextJobId = 1;
  private readonly waiting = new Map<number, (result: ImageJobResult) => void>();

  constructor(
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      StorageConfig,
      'BLOB_STORE_URL' | 'BLOB_STORE_ACCESS_KEY_ID' | 'BLOB_STORE_SECRET_ACCESS_KEY'
    >,
  ) {}

  beforeApplicationShutdown(): void {
    this.child?.removeAllListeners('exit');
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  /** Processes one staged upload in the worker. */
  run(stagedKey: string, limits: ImageLimits): Promise<ImageJobResult> {
    const child = this.child ?? this.start();
    const jobId = this.nextJobId++;
    return new Promise((resolve) => {
      this.waiting.set(jobId, resolve);
      child.send({ jobId, stagedKey, limits } satisfies ImageJob);
    });
  }

  private start(): ChildProcess {
    const child = fork(join(__dirname, 'image-worker.js'), [], {
      env: {
        ...process.env,
        BLOB_STORE_URL: this.config.BLOB_STORE_URL,
        BLOB_STORE_ACCESS_KEY_ID: this.config.BLOB_STORE_ACCESS_KEY_ID,
        BLOB_STORE_SECRET_ACCESS_KEY: this.config.BLOB_STORE_SECRET_ACCESS_KEY,
      },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, IMAGE_WORKER_NICE);
      } catch (err) {
        this.logger.warn({ err }, 'image worker priority not lowered');
      }
    }
    child.on('message', (result: ImageJobResult) => {
      const settle = this.waiting.get(result.jobId);
      this.waiting.delete(result.jobId);
      settle?.(result);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.logger.warn({ code, signal }, 'image worker exited');
      for (const [jobId, settle] of this.waiting) {
        settle({ jobId, outcome: 'crashed', message: `worker exited (${signal ?? code})` });
      }
      this.waiting.clear();
    });
    this.child = child;
    return child;
  }
}
