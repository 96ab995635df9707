export * from './kafka.options';
export * from './kafka.module';
export * from './kafka-readiness.check';
export * from './producer/event.publisher';
export * from './consumer/event-batch';
export * from './consumer/poison-event.error';
export * from './consumer/kafka-batch.transport';
export * from './admin';
