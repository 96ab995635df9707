import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
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
import type { BlobStoreLocation } from './blob-store-url';

type S3Location = Extract<BlobStoreLocation, { kind: 's3' }>;

/** Structural: the SDK names a missing object by the error's name. */
function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('name' in error)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound';
}

/**
 * BlobStore on an S3-compatible bucket (AWS S3, or a server speaking its API), for deployments
 * whose gateways and storage do not share a disk. Objects: `<prefix>sha256/<first 2 hex>/<hex>`
 * for content, `<prefix>staging/<uuid>` for staged uploads; keys are checked against their exact
 * shape as in the local store. An S3 PUT is atomic (a reader sees the whole object or none), so
 * no temp object is needed. `stage` holds the body in memory up to its cap (uploads are capped at
 * IMAGE_MAX_BYTES and at most 16 run at once on a gateway) and then puts it whole, so a refused or
 * interrupted upload never reaches the bucket. The bucket must exist.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  static open(
    location: S3Location,
    options: { credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
  ): S3BlobStore {
    const client = new S3Client({
      region: location.region,
      endpoint: location.endpoint,
      forcePathStyle: location.forcePathStyle,
      credentials: options.credentials,
      // Checksums only where S3 requires them: the SDK's default (a CRC32 trailer on every PUT)
      // is not understood by every S3-compatible server.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    });
    return new S3BlobStore(client, location.bucket, location.prefix);
  }

  async stage(
    body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<StagedBlob> {
    const parts: Buffer[] = [];
    let bytes = 0;
    for await (const data of cappedChunks(body, maxBytes)) {
      // A copy: the body may reuse its chunk's memory.
      parts.push(Buffer.from(data));
      bytes += data.length;
    }
    const content = Buffer.concat(parts, bytes);
    const key = newStagingKey();
    await this.putObject(this.prefix + key, content);
    return { key, bytes, head: Buffer.from(content.subarray(0, STAGED_HEAD_BYTES)) };
  }

  async readStaged(key: string): Promise<Buffer | null> {
    return this.getObject(this.prefix + stagingKey(key));
  }

  async deleteStaged(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + stagingKey(key) }),
    );
  }

  /** Same content, same key: putting it again rewrites identical bytes, which is harmless. */
  async put(content: Buffer): Promise<string> {
    const key = createHash('sha256').update(content).digest('hex');
    await this.putObject(this.contentObject(key), content);
    return key;
  }

  async get(key: string): Promise<Buffer | null> {
    return this.getObject(this.contentObject(key));
  }

  async delete(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: this.contentObject(key) }),
    );
  }

  /** Age is the object's Last-Modified: a staged object is written once, whole. */
  async sweepStaged(olderThanMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - olderThanMs;
    let swept = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}staging/`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length) ?? '';
        if (!isStagingKey(key)) continue; // not an object this store wrote
        if ((object.LastModified?.getTime() ?? now) >= cutoff) continue;
        await this.deleteStaged(key);
        swept += 1;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return swept;
  }

  private contentObject(key: string): string {
    return `${this.prefix}sha256/${key.slice(0, 2)}/${contentKey(key)}`;
  }

  private async putObject(objectKey: string, content: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: objectKey,
        Body: content,
        ContentLength: content.length,
        ContentType: 'application/octet-stream',
      }),
    );
  }

  private async getObject(objectKey: string): Promise<Buffer | null> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }),
      );
      if (answer.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await answer.Body.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}
