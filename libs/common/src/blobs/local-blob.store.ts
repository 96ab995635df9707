import { createHash } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  type BlobStore,
  cappedChunks,
  contentKey,
  isStagingKey,
  newStagingKey,
  STAGED_HEAD_BYTES,
  type StagedBlob,
  stagingKey,
} from './blob-store';

/** Structural, not `instanceof Error`: fs errors may come from another realm (Jest's sandbox). */
function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** A new file (never an existing one), its directory made on demand. */
async function createFile(path: string): Promise<FileHandle> {
  await mkdir(dirname(path), { recursive: true });
  return open(path, 'wx');
}

/** `write` may write less than asked: loop until all of `data` is on the file. */
async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * BlobStore on a local directory (one box, or a shared volume): content blobs at
 * `<root>/sha256/<first 2 hex>/<hex>`, staged uploads at `<root>/staging/<uuid>`. Every key is
 * checked against its exact shape before it becomes a path, so no key can reach outside `root`.
 * `put` writes through a staging file and renames it into place: a crash mid-write leaves only a
 * staging file, which `sweepStaged` removes later.
 */
export class LocalBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async stage(
    body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<StagedBlob> {
    const key = newStagingKey();
    const path = this.stagedPath(key);
    const head: Buffer[] = [];
    let headBytes = 0;
    let bytes = 0;
    let file: FileHandle | undefined;
    try {
      try {
        // The loop starts pulling at once (the file is made on the first chunk): a stream body
        // that fails early rejects here rather than emitting an 'error' nobody listens to.
        // Throwing out of it stops reading; a stream body stays open for its owner.
        for await (const data of cappedChunks(body, maxBytes)) {
          bytes += data.length;
          if (headBytes < STAGED_HEAD_BYTES) {
            // A copy: the body may reuse its chunk's memory.
            const part = Buffer.from(data.subarray(0, STAGED_HEAD_BYTES - headBytes));
            head.push(part);
            headBytes += part.length;
          }
          file ??= await createFile(path);
          await writeAll(file, data);
        }
        file ??= await createFile(path); // an empty body is an empty blob
      } finally {
        await file?.close();
      }
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { key, bytes, head: Buffer.concat(head) };
  }

  async readStaged(key: string): Promise<Buffer | null> {
    return readOrNull(this.stagedPath(key));
  }

  async deleteStaged(key: string): Promise<void> {
    await rm(this.stagedPath(key), { force: true });
  }

  async put(content: Buffer): Promise<string> {
    const key = createHash('sha256').update(content).digest('hex');
    const path = this.contentPath(key);
    if (await exists(path)) return key;
    const temp = this.stagedPath(newStagingKey());
    await mkdir(dirname(path), { recursive: true });
    try {
      const file = await createFile(temp);
      try {
        await file.writeFile(content);
        // On disk before the rename publishes it: a crash cannot leave a named but empty blob.
        await file.sync();
      } finally {
        await file.close();
      }
      // Same content, same bytes: a concurrent put of it renaming over this one is harmless.
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return key;
  }

  async get(key: string): Promise<Buffer | null> {
    return readOrNull(this.contentPath(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.contentPath(key), { force: true });
  }

  /** Age is the file's last write, so an upload still streaming in is never swept. */
  async sweepStaged(olderThanMs: number, now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(join(this.root, 'staging'));
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
    const cutoff = now - olderThanMs;
    let swept = 0;
    for (const name of names) {
      const key = `staging/${name}`;
      if (!isStagingKey(key)) continue; // not a file this store wrote
      const path = this.stagedPath(key);
      try {
        if ((await stat(path)).mtimeMs >= cutoff) continue;
        await rm(path);
        swept += 1;
      } catch (error) {
        if (!isNotFound(error)) throw error; // gone meanwhile (deleted or promoted)
      }
    }
    return swept;
  }

  private contentPath(key: string): string {
    return join(this.root, 'sha256', key.slice(0, 2), contentKey(key));
  }

  private stagedPath(key: string): string {
    return join(this.root, stagingKey(key));
  }
}
