export * from './blob-store';
export * from './blob-store-url';
export * from './local-blob.store';
export * from './s3-blob.store';
export * from './blob-store.provider';
