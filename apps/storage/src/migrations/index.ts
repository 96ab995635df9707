import type { MigrationInterface } from 'typeorm';
import { CreateConversationsAndMessages1763900000000 } from './1763900000000-CreateConversationsAndMessages';

/** Storage's migrations, oldest first: what its DatabaseModule runs (and the db test tier). */
export const STORAGE_MIGRATIONS: (new () => MigrationInterface)[] = [
  CreateConversationsAndMessages1763900000000,
];
