export * from './database.module';
export * from './ensure-database';
export * from './pg-arrays';
export * from './prepared-statement';
export * from './stall-watched-client';
