export * from './app.exception';
export * from './all-exceptions.filter';
export * from './zod-validation.pipe';
