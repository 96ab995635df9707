import type { MigrationInterface } from 'typeorm';
import { CreateAccounts1763700000000 } from './1763700000000-CreateAccounts';
import { CreateContacts1763950000000 } from './1763950000000-CreateContacts';
import { AddUsernameSkeleton1764000000000 } from './1764000000000-AddUsernameSkeleton';
import { AddReadReceiptsSetting1764600000000 } from './1764600000000-AddReadReceiptsSetting';
import { AddPresenceSetting1764700000000 } from './1764700000000-AddPresenceSetting';
import { AddRefreshTokensRevokedIndex1765200000000 } from './1765200000000-AddRefreshTokensRevokedIndex';

/** The gateway's migrations, oldest first: what its DatabaseModule runs (and the db test tier). */
export const GATEWAY_MIGRATIONS: (new () => MigrationInterface)[] = [
  CreateAccounts1763700000000,
  CreateContacts1763950000000,
  AddUsernameSkeleton1764000000000,
  AddReadReceiptsSetting1764600000000,
  AddPresenceSetting1764700000000,
  AddRefreshTokensRevokedIndex1765200000000,
];
