/**
 * Parley's client library: log-in and token refresh, connecting through the directory, the
 * socket with heartbeats, reconnecting with jittered backoff, offline sync, the outbox and the
 * gap-aware delivered cursor, with typed events for a UI. It runs unchanged in Node and in a
 * browser: the network comes in through `fetch` and a WebSocket factory, storage through the
 * CredentialsStore and OutboxStore interfaces. (Node's sockets: `@parley/client/node/ws-socket`.)
 */
export * from './errors';
export * from './backoff';
export * from './emitter';
export * from './stores';
export * from './api-client';
export * from './socket';
export * from './connection';
export * from './outbox';
export * from './conversation-states';
export * from './parley-client';
export * from './receipts';
export * from './group-view';
export * from './timeline';
export * from './expiry-alarm';
export * from './presence-book';
export * from './sync-rounds';
