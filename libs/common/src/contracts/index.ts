export * from './envelope';
export * from './event-decoder';
export * from './topics';
export * from './events/account.events';
export * from './events/dead-letter.events';
export * from './events/gateway.events';
export * from './topic-contracts';
