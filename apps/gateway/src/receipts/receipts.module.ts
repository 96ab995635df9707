import { Module } from '@nestjs/common';
import { CursorEventsPublisher } from './cursor-events.publisher';
import { KnownSeqCache } from './known-seq.cache';
import { MessageReceiptsService } from './message-receipts.service';
import { ReceiptsController } from './receipts.controller';
import { ReceiptsService } from './receipts.service';

/**
 * Receipts: delivered and read cursors (socket frames and HTTP), onto `parley.cursors.v1`; who
 * has received and read a message (HTTP).
 */
@Module({
  controllers: [ReceiptsController],
  providers: [ReceiptsService, MessageReceiptsService, KnownSeqCache, CursorEventsPublisher],
  exports: [ReceiptsService],
})
export class ReceiptsModule {}
