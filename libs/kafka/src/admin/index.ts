export * from './offset-arithmetic';
export * from './topic-plan';
export * from './topic-admin';
