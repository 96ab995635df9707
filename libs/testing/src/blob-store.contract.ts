import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type BlobStore, BlobTooLargeError, InvalidBlobKeyError } from '@parley/common';

/** One store under test, empty, and what it holds (files or objects), to prove nothing stayed. */
export interface BlobStoreUnderTest {
  store: BlobStore;
  /** Every file or object the store holds, by its path or object key. */
  held(): Promise<string[]>;
}

/** A plain async iterable (not a stream): each pull calls `next`, until it returns undefined. */
export function pulls(next: () => Uint8Array | undefined): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const value = next();
        return Promise.resolve(
          value ? { done: false, value } : ({ done: true, value: undefined } as const),
        );
      },
    }),
  };
}

export function chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  let i = 0;
  return pulls(() => parts[i++]);
}

/**
 * What every BlobStore does, whatever keeps the bytes: the local filesystem and an S3 bucket run
 * the same cases (`open` gives each case an empty store).
 */
export function describeBlobStoreContract(
  name: string,
  open: () => Promise<BlobStoreUnderTest>,
): void {
  describe(`${name}: the BlobStore contract`, () => {
    let store: BlobStore;
    let held: () => Promise<string[]>;

    beforeEach(async () => {
      ({ store, held } = await open());
    });

    it('stores content under its SHA-256, once, and reads it back', async () => {
      const content = Buffer.from('hello blob');
      const sha = createHash('sha256').update(content).digest('hex');

      const key = await store.put(content);
      expect(key).toBe(sha);
      expect(await store.put(Buffer.from('hello blob'))).toBe(key);
      expect(await store.get(key)).toEqual(content);
      expect(await held()).toHaveLength(1);
    });

    it('answers null for an absent blob and deletes idempotently', async () => {
      const key = await store.put(Buffer.from('short-lived'));
      await store.delete(key);
      await store.delete(key);
      expect(await store.get(key)).toBeNull();
      expect(await held()).toEqual([]);
    });

    it('stages a body under the cap, with its size and first 64 bytes', async () => {
      const first = Buffer.alloc(40, 1);
      const second = Buffer.alloc(60, 2);
      const staged = await store.stage(chunks(first, second), 100);

      expect(staged.key).toMatch(/^staging\/[0-9a-f-]{36}$/);
      expect(staged.bytes).toBe(100);
      expect(staged.head).toEqual(Buffer.concat([first, second.subarray(0, 24)]));
      expect(await store.readStaged(staged.key)).toEqual(Buffer.concat([first, second]));
    });

    it('stages a Node stream, and a body shorter than 64 bytes whole as its head', async () => {
      const staged = await store.stage(Readable.from([Buffer.from('GIF8'), 'text']), 10);
      expect(staged.bytes).toBe(8);
      expect(staged.head.toString()).toBe('GIF8text');
    });

    it('stages an empty body as an empty blob', async () => {
      const staged = await store.stage(chunks(), 10);
      expect(staged).toMatchObject({ bytes: 0, head: Buffer.alloc(0) });
      expect(await store.readStaged(staged.key)).toEqual(Buffer.alloc(0));
    });

    it('refuses a body past the cap, stops reading it and keeps nothing', async () => {
      let pulled = 0;
      const endless = pulls(() => {
        pulled += 1;
        return Buffer.alloc(1024);
      });
      const staging = store.stage(endless, 4096);

      await expect(staging).rejects.toBeInstanceOf(BlobTooLargeError);
      await expect(staging).rejects.toMatchObject({ maxBytes: 4096 });
      expect(pulled).toBe(5);
      expect(await held()).toEqual([]);
    });

    it('leaves a stream body it stopped reading open, with the rest still readable', async () => {
      const body = new Readable({ read() {} });
      body.push(Buffer.alloc(3000, 1));
      body.push(Buffer.alloc(3000, 2));

      await expect(store.stage(body, 4096)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(body.destroyed).toBe(false);
      body.push(Buffer.from('rest'));
      body.push(null);
      const rest: Buffer[] = [];
      for await (const chunk of body) rest.push(chunk as Buffer);
      expect(Buffer.concat(rest).toString()).toBe('rest');
      expect(await held()).toEqual([]);
    });

    it('keeps nothing when the body stream fails midway', async () => {
      async function* failing(): AsyncIterable<Uint8Array> {
        yield Buffer.alloc(1000);
        await Promise.resolve();
        throw new Error('client went away');
      }
      await expect(store.stage(failing(), 1 << 20)).rejects.toThrow('client went away');
      expect(await held()).toEqual([]);
    });

    it('rejects (no unhandled error) when the stream fails before its first chunk', async () => {
      const body = new Readable({ read() {} });
      const staging = store.stage(body, 1 << 20);
      body.destroy(new Error('aborted'));

      await expect(staging).rejects.toThrow('aborted');
      expect(await held()).toEqual([]);
    });

    it('deletes staged blobs idempotently', async () => {
      const { key } = await store.stage(chunks(Buffer.from('x')), 10);
      await store.deleteStaged(key);
      await store.deleteStaged(key);
      expect(await store.readStaged(key)).toBeNull();
      expect(await held()).toEqual([]);
    });

    it('sweeps staged blobs once they are older than the cut-off, never content', async () => {
      const hour = 3_600_000;
      const staged = await store.stage(chunks(Buffer.from('staged')), 10);
      const kept = await store.put(Buffer.from('kept'));

      expect(await store.sweepStaged(hour)).toBe(0);
      expect(await store.readStaged(staged.key)).toEqual(Buffer.from('staged'));
      // Two hours on, the staged upload is stale; content is never swept.
      expect(await store.sweepStaged(hour, Date.now() + 2 * hour)).toBe(1);
      expect(await store.readStaged(staged.key)).toBeNull();
      expect(await store.get(kept)).toEqual(Buffer.from('kept'));
      expect(await held()).toHaveLength(1);
    });

    it.each(['../etc/passwd', 'staging/../../x', '/etc/passwd', 'A'.repeat(64), ''])(
      'refuses the key %j before it names anything',
      async (key) => {
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.readStaged(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.deleteStaged(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      },
    );

    it('refuses a content key as a staging key and the other way round', async () => {
      const key = await store.put(Buffer.from('content'));
      const { key: stagedKey } = await store.stage(chunks(Buffer.from('staged')), 10);
      await expect(store.readStaged(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.get(stagedKey)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    });
  });
}
