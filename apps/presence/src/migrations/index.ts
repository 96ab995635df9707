import type { MigrationInterface } from 'typeorm';
import { CreateUserPresence1763800000000 } from './1763800000000-CreateUserPresence';

/** Presence's migrations, oldest first: what its DatabaseModule runs (and the db test tier). */
export const PRESENCE_MIGRATIONS: (new () => MigrationInterface)[] = [
  CreateUserPresence1763800000000,
];
