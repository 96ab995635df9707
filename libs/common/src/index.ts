export * from './contracts';
export * from './config';
export * from './errors';
export * from './logging';
export * from './observability';
export * from './database';
export * from './redis';
export * from './bootstrap';
