export * from './database.module';
export * from './ensure-database';
export * from './prepared-statement';
export * from './stall-watched-client';
