export * from './kafka-test-client';
export * from './parley-test-client';
export * from './fake-connection';
export * from './blob-store.contract';
export * from './s3proxy';
export * from './blockable-proxy';
