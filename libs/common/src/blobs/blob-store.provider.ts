import type { Provider } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { BLOB_STORE, type BlobStore } from './blob-store';
import { type BlobStoreSettings, parseBlobStoreUrl } from './blob-store-url';
import { LocalBlobStore } from './local-blob.store';
import { S3BlobStore } from './s3-blob.store';

/** The store a deployment's settings name: a local directory or an S3 bucket. */
export function blobStoreFrom(settings: BlobStoreSettings): BlobStore {
  const location = parseBlobStoreUrl(settings.BLOB_STORE_URL);
  if (location.kind === 'file') return new LocalBlobStore(location.dir);
  const { BLOB_STORE_ACCESS_KEY_ID: accessKeyId, BLOB_STORE_SECRET_ACCESS_KEY: secretAccessKey } =
    settings;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error(
      'set both BLOB_STORE_ACCESS_KEY_ID and BLOB_STORE_SECRET_ACCESS_KEY, or neither',
    );
  }
  return S3BlobStore.open(location, {
    credentials:
      accessKeyId !== undefined && secretAccessKey !== undefined
        ? { accessKeyId, secretAccessKey }
        : undefined,
  });
}

/** The process's BlobStore (BLOB_STORE), from its config's blob store settings. */
export const BLOB_STORE_PROVIDER: Provider = {
  provide: BLOB_STORE,
  inject: [APP_CONFIG],
  useFactory: (config: BlobStoreSettings) => blobStoreFrom(config),
};
