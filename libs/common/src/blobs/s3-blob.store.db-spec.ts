import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  chunks,
  describeBlobStoreContract,
  type RunningS3Proxy,
  startS3Proxy,
} from '@parley/testing';
import { blobStoreFrom } from './blob-store.provider';
import { S3BlobStore } from './s3-blob.store';

const BUCKET = 'parley-blobs';
let dataDir: string;
let s3proxy: RunningS3Proxy;
let admin: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-s3proxy-'));
  s3proxy = await startS3Proxy(dataDir);
  admin = new S3Client({
    region: 'us-east-1',
    endpoint: s3proxy.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3proxy.accessKeyId, secretAccessKey: s3proxy.secretAccessKey },
  });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 90_000);

afterAll(async () => {
  admin?.destroy();
  await s3proxy?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Every object under `prefix` in the bucket (not the directory markers S3Proxy's filesystem lists). */
async function objectsUnder(prefix: string): Promise<string[]> {
  const page = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? [])
    .map((o) => o.Key ?? '')
    .filter((key) => !key.endsWith('/'))
    .sort();
}

/** The store as a deployment opens it: from its BLOB_STORE_URL and key pair. */
function storeAt(prefix: string): S3BlobStore {
  const store = blobStoreFrom({
    BLOB_STORE_URL: `s3://${BUCKET}/${prefix}?endpoint=${s3proxy.endpoint}&forcePathStyle=true`,
    BLOB_STORE_ACCESS_KEY_ID: s3proxy.accessKeyId,
    BLOB_STORE_SECRET_ACCESS_KEY: s3proxy.secretAccessKey,
  });
  expect(store).toBeInstanceOf(S3BlobStore);
  return store as S3BlobStore;
}

// Each case gets a prefix of its own in one bucket: an empty store.
describeBlobStoreContract('S3BlobStore (S3Proxy)', () => {
  const prefix = `case-${randomUUID()}`;
  return Promise.resolve({ store: storeAt(prefix), held: () => objectsUnder(`${prefix}/`) });
});

describe('S3BlobStore: its objects', () => {
  it('keeps content at <prefix>/sha256/<first 2 hex>/<hex> and staged uploads at <prefix>/staging/<uuid>', async () => {
    const prefix = `layout-${randomUUID()}`;
    const store = storeAt(prefix);
    const key = await store.put(Buffer.from('hello blob'));
    const staged = await store.stage(chunks(Buffer.from('staged')), 10);
    expect(await objectsUnder(`${prefix}/`)).toEqual(
      [`${prefix}/sha256/${key.slice(0, 2)}/${key}`, `${prefix}/${staged.key}`].sort(),
    );
  });

  it('refuses a wrong key pair: nothing is read or written', async () => {
    const store = blobStoreFrom({
      BLOB_STORE_URL: `s3://${BUCKET}/wrong?endpoint=${s3proxy.endpoint}&forcePathStyle=true`,
      BLOB_STORE_ACCESS_KEY_ID: s3proxy.accessKeyId,
      BLOB_STORE_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    await expect(store.put(Buffer.from('x'))).rejects.toThrow();
    expect(await objectsUnder('wrong/')).toEqual([]);
  });

  it('refuses half a key pair when it opens', () => {
    expect(() =>
      blobStoreFrom({
        BLOB_STORE_URL: `s3://${BUCKET}?endpoint=${s3proxy.endpoint}`,
        BLOB_STORE_ACCESS_KEY_ID: s3proxy.accessKeyId,
      }),
    ).toThrow(/both .* or neither/);
  });
});
