export * from './logging.module';
export * from './error-serializer';
