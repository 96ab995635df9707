import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Nest injection token of the process's BlobStore (media uploads and their variants). */
export const BLOB_STORE = Symbol('BLOB_STORE');

/** A staged upload: its key (opaque, e.g. 'staging/<uuid>'), size, and its first bytes (up to 64) for sniffing. */
export interface StagedBlob {
  key: string;
  bytes: number;
  head: Buffer;
}

/** An upload went past the caller's cap: nothing of it was kept. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob exceeds ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** A key that is not one this store hands out (refused before it reaches a path). */
export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 100))}`);
    this.name = 'InvalidBlobKeyError';
  }
}

/**
 * Where media bytes live. Uploads land in staging first (streamed, capped) so they can be checked
 * before anything is kept; what is kept is content-addressed (SHA-256), so the same bytes are
 * stored once and a key never changes meaning.
 */
export interface BlobStore {
  /**
   * Streams `body` into a new staging blob; past `maxBytes` it stops reading, deletes what it
   * wrote and rejects with BlobTooLargeError. Any other failure (the body stream errors/aborts)
   * also leaves nothing behind and rejects. A stream body it stops reading early is left paused,
   * not destroyed (see `cappedChunks`).
   */
  stage(
    body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<StagedBlob>;
  /** A staged blob's bytes, or null when it is gone. */
  readStaged(key: string): Promise<Buffer | null>;
  /** Idempotent. */
  deleteStaged(key: string): Promise<void>;
  /**
   * Content-addressed: stores `content` under its SHA-256 hex and returns that key; storing the
   * same content again writes nothing new and returns the same key. Written atomically (temp
   * file + rename) so a reader never sees half a blob.
   */
  put(content: Buffer): Promise<string>;
  /** The blob's bytes, or null when absent. */
  get(key: string): Promise<Buffer | null>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /** Deletes staged blobs older than `olderThanMs` (uploads a crashed process left); returns how many. */
  sweepStaged(olderThanMs: number, now?: number): Promise<number>;
}

/**
 * A staged body's chunks as Buffers; once they pass `maxBytes` it throws BlobTooLargeError and
 * reads no more. A Node stream left early (the cap, or the caller stopping) stays open and
 * paused, not destroyed: when it is an HTTP request, destroying it would reset the connection
 * under the refusal the server is about to send; its owner decides what happens to the rest (see
 * `drainRefusedBody`).
 */
export async function* cappedChunks(
  body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<Buffer> {
  const chunks: AsyncIterable<string | Uint8Array> = isNodeReadable(body)
    ? body.iterator({ destroyOnReturn: false })
    : body;
  let bytes = 0;
  for await (const chunk of chunks) {
    const data = chunkToBuffer(chunk);
    bytes += data.length;
    if (bytes > maxBytes) throw new BlobTooLargeError(maxBytes);
    yield data;
  }
}

/** Structural, not `instanceof Readable`: the stream may come from another realm (Jest's sandbox). */
function isNodeReadable(body: object): body is Readable {
  return 'iterator' in body && typeof body.iterator === 'function';
}

/** A content key: a SHA-256 in lowercase hex. */
const CONTENT_KEY = /^[0-9a-f]{64}$/;
/** A staging key: `staging/<uuid>` (the `image.uploaded` event's `stagedKey` has this shape). */
export const STAGING_KEY = /^staging\/[0-9a-f-]{36}$/;
/** How many first bytes of a staged body are handed back for sniffing. */
export const STAGED_HEAD_BYTES = 64;

/** `key` when it is a content key, else InvalidBlobKeyError: checked before it names anything. */
export function contentKey(key: string): string {
  if (!CONTENT_KEY.test(key)) throw new InvalidBlobKeyError(key);
  return key;
}

/** `key` when it is a staging key, else InvalidBlobKeyError. */
export function stagingKey(key: string): string {
  if (!STAGING_KEY.test(key)) throw new InvalidBlobKeyError(key);
  return key;
}

export function isStagingKey(key: string): boolean {
  return STAGING_KEY.test(key);
}

export function newStagingKey(): string {
  return `staging/${randomUUID()}`;
}

function chunkToBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
