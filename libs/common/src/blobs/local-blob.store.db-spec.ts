import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BlobTooLargeError, InvalidBlobKeyError } from './blob-store';
import { blobStoreFromUrl, LocalBlobStore } from './local-blob.store';

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** A plain async iterable (not a stream): each pull calls `next`, until it returns undefined. */
function pulls(next: () => Uint8Array | undefined): AsyncIterable<Uint8Array> {
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

function chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  let i = 0;
  return pulls(() => parts[i++]);
}

describe('LocalBlobStore (real filesystem)', () => {
  let root: string;
  let store: LocalBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
    store = new LocalBlobStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores content under its SHA-256, once, and reads it back', async () => {
    const content = Buffer.from('hello blob');
    const sha = createHash('sha256').update(content).digest('hex');

    const key = await store.put(content);
    expect(key).toBe(sha);
    expect(await store.put(Buffer.from('hello blob'))).toBe(key);
    expect(await store.get(key)).toEqual(content);
    // Written through a temp file and renamed: only the blob itself remains.
    expect(await filesUnder(root)).toEqual([join('sha256', sha.slice(0, 2), sha)]);
  });

  it('answers null for an absent blob and deletes idempotently', async () => {
    const key = await store.put(Buffer.from('short-lived'));
    await store.delete(key);
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    expect(await filesUnder(root)).toEqual([]);
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
    expect(await filesUnder(root)).toEqual([]);
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
    expect(await filesUnder(root)).toEqual([]);
  });

  it('keeps nothing when the body stream fails midway', async () => {
    let wrote = false;
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1000);
      wrote = (await filesUnder(root)).length === 1; // the first chunk is on disk
      throw new Error('client went away');
    }
    const staging = store.stage(failing(), 1 << 20);

    await expect(staging).rejects.toThrow('client went away');
    expect(wrote).toBe(true);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('rejects (no unhandled error) when the stream fails before its first chunk', async () => {
    const body = new Readable({ read() {} });
    const staging = store.stage(body, 1 << 20);
    body.destroy(new Error('aborted'));

    await expect(staging).rejects.toThrow('aborted');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('deletes staged blobs idempotently', async () => {
    const { key } = await store.stage(chunks(Buffer.from('x')), 10);
    await store.deleteStaged(key);
    await store.deleteStaged(key);
    expect(await store.readStaged(key)).toBeNull();
  });

  it('sweeps only the staged blobs older than the cut-off', async () => {
    const now = Date.UTC(2030, 0, 1);
    const hour = 3_600_000;
    const old = await store.stage(chunks(Buffer.from('old')), 10);
    const fresh = await store.stage(chunks(Buffer.from('fresh')), 10);
    const kept = await store.put(Buffer.from('kept'));
    await utimes(join(root, old.key), new Date(now - 3 * hour), new Date(now - 3 * hour));
    await utimes(join(root, fresh.key), new Date(now - 10_000), new Date(now - 10_000));

    expect(await store.sweepStaged(hour, now)).toBe(1);
    expect(await store.readStaged(old.key)).toBeNull();
    expect(await store.readStaged(fresh.key)).toEqual(Buffer.from('fresh'));
    expect(await store.get(kept)).toEqual(Buffer.from('kept'));
    expect(await new LocalBlobStore(join(root, 'never-used')).sweepStaged(hour, now)).toBe(0);
  });

  it.each(['../etc/passwd', 'staging/../../x', '/etc/passwd', 'A'.repeat(64), ''])(
    'refuses the key %j before touching the filesystem',
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

describe('blobStoreFromUrl', () => {
  it('opens a file:// URL as a local store', async () => {
    const root = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
    try {
      const store = blobStoreFromUrl(pathToFileURL(root).href);
      expect(store).toBeInstanceOf(LocalBlobStore);
      const key = await store.put(Buffer.from('via url'));
      expect(await filesUnder(root)).toEqual([join('sha256', key.slice(0, 2), key)]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each(['http://x', 's3://bucket/prefix', 'not a url', 'file://remote-host/dir'])(
    'refuses %j, naming the supported schemes',
    (url) => {
      expect(() => blobStoreFromUrl(url)).toThrow(/supported: file:\/\//);
    },
  );
});
