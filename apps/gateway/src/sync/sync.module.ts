import { Module } from '@nestjs/common';
import { ReceiptsModule } from '../receipts/receipts.module';
import { HistoryController } from './history.controller';
import { HistoryService } from './history.service';
import { SyncService } from './sync.service';

/** Reading what was stored: offline sync pages (socket) and history pages (socket and HTTP). */
@Module({
  imports: [ReceiptsModule],
  controllers: [HistoryController],
  providers: [SyncService, HistoryService],
  exports: [SyncService, HistoryService],
})
export class SyncModule {}
