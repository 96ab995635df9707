export * from './readiness';
export * from './health.controller';
export * from './observability.module';
export * from './service-name';
export * from './internal-only.guard';
export * from './message-hops.metrics';
export * from './settled-memory';
export * from './registered-metrics';
