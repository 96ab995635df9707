import type { BlobStore } from '@parley/common';
import type { ExpiredBatch, ExpiryRepository, UnsentImagesBatch } from './expiry.repository';
import { BLOB_DELETES_IN_FLIGHT, ExpirySweeper } from './expiry.sweeper';

/** A blob store whose deletes finish when the test says (pure logic: no store behind it). */
class HeldDeletes {
  readonly started: string[] = [];
  private readonly pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  inFlight = 0;
  maxInFlight = 0;

  readonly store = {
    delete: (key: string) =>
      new Promise<void>((resolve, reject) => {
        this.started.push(key);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const done = () => this.inFlight--;
        this.pending.set(key, {
          resolve: () => (done(), resolve()),
          reject: (e) => (done(), reject(e)),
        });
      }),
  } as unknown as BlobStore;

  settle(key: string, error?: Error): void {
    const p = this.pending.get(key);
    if (!p) throw new Error(`${key} was not started`);
    this.pending.delete(key);
    if (error) p.reject(error);
    else p.resolve();
  }

  /** Settles whatever is in flight, one turn at a time, until nothing is. */
  async drain(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      const [key] = this.pending.keys();
      if (key === undefined) return;
      this.settle(key);
    }
  }
}

/** One expiry batch freeing `keys`; no unsent uploads. */
function repositoryFreeing(keys: string[]): ExpiryRepository {
  return {
    expire: async (_limit: number, beforeCommit: (b: ExpiredBatch) => Promise<void>) => {
      const batch: ExpiredBatch = {
        messages: [{ conversationId: 'c', seq: 1 }],
        imageIds: ['i'],
        blobKeys: keys,
      };
      await beforeCommit(batch);
      return batch;
    },
    dropUnsentImages: () =>
      Promise.resolve({ examined: 0, imageIds: [], blobKeys: [] } satisfies UnsentImagesBatch),
  } as unknown as ExpiryRepository;
}

describe("ExpirySweeper: a batch's blob deletes", () => {
  const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);

  it(`deletes every key, at most ${BLOB_DELETES_IN_FLIGHT} at a time`, async () => {
    const blobs = new HeldDeletes();
    const sweeper = new ExpirySweeper(repositoryFreeing(keys), blobs.store, {
      EXPIRY_SWEEP_MS: 60_000,
    });
    const swept = sweeper.sweep();
    await blobs.drain();
    await expect(swept).resolves.toEqual({ messages: 1, images: 1, blobs: keys.length });
    expect([...blobs.started].sort()).toEqual([...keys].sort());
    expect(blobs.maxInFlight).toBe(BLOB_DELETES_IN_FLIGHT);
  });

  it('starts no delete after one failed, and fails the batch once those in flight settled', async () => {
    const blobs = new HeldDeletes();
    const sweeper = new ExpirySweeper(repositoryFreeing(keys), blobs.store, {
      EXPIRY_SWEEP_MS: 60_000,
    });
    const swept = sweeper.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    expect(blobs.started).toHaveLength(BLOB_DELETES_IN_FLIGHT);
    let settled = false;
    void swept.catch(() => undefined).finally(() => (settled = true));

    blobs.settle('k0', new Error('S3 refused'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(blobs.started).toHaveLength(BLOB_DELETES_IN_FLIGHT);
    expect(settled).toBe(false); // seven still in flight

    await blobs.drain();
    await expect(swept).rejects.toThrow('S3 refused');
    expect(blobs.started).toHaveLength(BLOB_DELETES_IN_FLIGHT);
  });
});
