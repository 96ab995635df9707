/**
 * Parley's client protocol: every WebSocket frame in both directions, every HTTP body of the
 * client API, the error codes, the close codes and the version. The one source of truth for the
 * gateway and every client; it depends on nothing but zod, and runs in Node and in a browser.
 */
export * from './version';
export * from './errors';
export * from './issues';
export * from './ids';
export * from './iso-time';
export * from './text';
export * from './url';
export * from './group';
export * from './image';
export * from './message';
export * from './receipt';
export * from './presence';
export * from './close-codes';
export * from './frames/client-frames';
export * from './frames/server-frames';
export * from './frames/codec';
export * from './sync/state-digest';
export * from './sync/state-summary';
export * from './http/accounts';
export * from './http/connect';
export * from './http/people';
export * from './http/conversations';
export * from './http/service';
export * from './http/routes';
