import type { Provider } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { BLOB_STORE } from './blob-store';
import { blobStoreFromUrl } from './local-blob.store';

/** The process's BlobStore (BLOB_STORE), from its config's BLOB_STORE_URL. */
export const BLOB_STORE_PROVIDER: Provider = {
  provide: BLOB_STORE,
  inject: [APP_CONFIG],
  useFactory: (config: { BLOB_STORE_URL: string }) => blobStoreFromUrl(config.BLOB_STORE_URL),
};
