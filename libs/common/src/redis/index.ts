export * from './redis.module';
export * from './redis-values';
export * from './redis-liveness';
export * from './device-locations.repository';
export * from './delivery.router';
