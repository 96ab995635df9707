export * from './kafka-test-client';
export * from './parley-test-client';
