/**
 * Storage's image worker: a child process (forked by ImageWorkerProcess, at a lower CPU priority)
 * that decodes, orients, strips and resizes uploads with sharp and puts both versions in the blob
 * store. In a process of its own so that decoding never competes with storage's message path for
 * CPU on equal terms, and so that a crash inside libvips on a hostile file ends this process only
 * (storage refuses that upload as unreadable and starts another worker).
 */
// First: the scheduling class, before sharp (and its threads) load.
import { IDLE_CLASS } from './idle-priority';
import { blobStoreEnv, blobStoreFrom } from '@parley/common';
import { z } from 'zod/v4';
import { ImageRefusedError, processImage } from './image-processor';
import type { ImageJob, ImageJobResult } from './image-worker.protocol';

// Storage hands its own validated settings down through the environment (ImageWorkerProcess).
const blobs = blobStoreFrom(z.object(blobStoreEnv).parse(process.env));
if (!IDLE_CLASS) {
  process.stderr.write('image worker: chrt is unavailable; it runs at a low nice only\n');
}

async function run(job: ImageJob): Promise<ImageJobResult> {
  const staged = await blobs.readStaged(job.stagedKey);
  if (staged === null) return { jobId: job.jobId, outcome: 'gone' };
  try {
    const processed = await processImage(staged, job.limits);
    const displayKey = await blobs.put(processed.display.content);
    const thumbKey = await blobs.put(processed.thumb.content);
    return {
      jobId: job.jobId,
      outcome: 'processed',
      image: {
        format: processed.format,
        width: processed.display.width,
        height: processed.display.height,
        displayKey,
        displayBytes: processed.display.content.length,
        thumbKey,
        thumbBytes: processed.thumb.content.length,
        placeholder: processed.placeholder,
      },
    };
  } catch (err) {
    if (err instanceof ImageRefusedError) {
      return { jobId: job.jobId, outcome: 'refused', code: err.code, message: err.message };
    }
    throw err;
  }
}

process.on('message', (job: ImageJob) => {
  run(job).then(
    (result) => process.send?.(result),
    (err: unknown) =>
      process.send?.({
        jobId: job.jobId,
        outcome: 'failed',
        message: err instanceof Error ? err.name : 'error',
      } satisfies ImageJobResult),
  );
});
// The parent went away: nothing more will come.
process.on('disconnect', () => process.exit(0));
