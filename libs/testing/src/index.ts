export * from './kafka-test-client';
export * from './parley-test-client';
export * from './fake-connection';
