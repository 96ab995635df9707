import { Module } from '@nestjs/common';
import { ReceiptsModule } from '../receipts/receipts.module';
import { HistoryController } from './history.controller';
import { HistoryService } from './history.service';
import { DeviceRoutingProbe } from './device-routing.probe';
import { SyncRoundService } from './sync-round.service';
import { SyncService } from './sync.service';

/**
 * Reading what was stored: sync v2 rounds and the deprecated v1 pages (socket), history pages
 * (socket and HTTP).
 */
@Module({
  imports: [ReceiptsModule],
  controllers: [HistoryController],
  providers: [SyncService, SyncRoundService, DeviceRoutingProbe, HistoryService],
  exports: [SyncService, SyncRoundService, HistoryService],
})
export class SyncModule {}
