export * from './blob-store';
export * from './local-blob.store';
export * from './blob-store.provider';
