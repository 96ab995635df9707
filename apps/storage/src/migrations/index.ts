import type { MigrationInterface } from 'typeorm';
import { CreateConversationsAndMessages1763900000000 } from './1763900000000-CreateConversationsAndMessages';
import { AddMemberDeliveredSeq1764100000000 } from './1764100000000-AddMemberDeliveredSeq';
import { AddGroups1764200000000 } from './1764200000000-AddGroups';
import { AddHistoryVisibility1764300000000 } from './1764300000000-AddHistoryVisibility';
import { AddReceiptMoves1764400000000 } from './1764400000000-AddReceiptMoves';
import { AddChannels1764500000000 } from './1764500000000-AddChannels';
import { AddImages1764800000000 } from './1764800000000-AddImages';
import { AddDisappearingMessages1764900000000 } from './1764900000000-AddDisappearingMessages';
import { AddUnsentImageSweep1765000000000 } from './1765000000000-AddUnsentImageSweep';
import { AddChannelsIndex1765100000000 } from './1765100000000-AddChannelsIndex';
import { AddConversationsIdHash1765300000000 } from './1765300000000-AddConversationsIdHash';

/** Storage's migrations, oldest first: what its DatabaseModule runs (and the db test tier). */
export const STORAGE_MIGRATIONS: (new () => MigrationInterface)[] = [
  CreateConversationsAndMessages1763900000000,
  AddMemberDeliveredSeq1764100000000,
  AddGroups1764200000000,
  AddHistoryVisibility1764300000000,
  AddReceiptMoves1764400000000,
  AddChannels1764500000000,
  AddImages1764800000000,
  AddDisappearingMessages1764900000000,
  AddUnsentImageSweep1765000000000,
  AddChannelsIndex1765100000000,
  AddConversationsIdHash1765300000000,
];
