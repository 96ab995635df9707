import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunks, describeBlobStoreContract } from '@parley/testing';
import { LocalBlobStore } from './local-blob.store';

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
  roots.push(root);
  return root;
}

describeBlobStoreContract('LocalBlobStore (real filesystem)', async () => {
  const root = await freshRoot();
  return { store: new LocalBlobStore(root), held: () => filesUnder(root) };
});

describe('LocalBlobStore: its files', () => {
  let root: string;
  let store: LocalBlobStore;

  beforeEach(async () => {
    root = await freshRoot();
    store = new LocalBlobStore(root);
  });

  it('keeps content at sha256/<first 2 hex>/<hex>, with no temp file left', async () => {
    const key = await store.put(Buffer.from('hello blob'));
    expect(await filesUnder(root)).toEqual([join('sha256', key.slice(0, 2), key)]);
  });

  it('streams a staged body to disk as it arrives, and removes it when the body fails', async () => {
    let onDisk: string[] = [];
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1000);
      onDisk = await filesUnder(root); // the first chunk is on disk
      throw new Error('client went away');
    }
    await expect(store.stage(failing(), 1 << 20)).rejects.toThrow('client went away');
    expect(onDisk).toHaveLength(1);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('sweeps by the file time of last write: only the old staged file goes', async () => {
    const now = Date.UTC(2030, 0, 1);
    const hour = 3_600_000;
    const old = await store.stage(chunks(Buffer.from('old')), 10);
    const fresh = await store.stage(chunks(Buffer.from('fresh')), 10);
    await utimes(join(root, old.key), new Date(now - 3 * hour), new Date(now - 3 * hour));
    await utimes(join(root, fresh.key), new Date(now - 10_000), new Date(now - 10_000));

    expect(await store.sweepStaged(hour, now)).toBe(1);
    expect(await store.readStaged(fresh.key)).toEqual(Buffer.from('fresh'));
    expect(await new LocalBlobStore(join(root, 'never-used')).sweepStaged(hour, now)).toBe(0);
  });
});
