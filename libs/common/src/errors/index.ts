export * from './app.exception';
export * from './all-exceptions.filter';
export * from './dependency-outage';
export * from './zod-validation.pipe';
