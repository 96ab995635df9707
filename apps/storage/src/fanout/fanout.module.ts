import { Module } from '@nestjs/common';
import { DeliveryRouter, DeviceLocationsRepository } from '@parley/common';
import { DeliveryPublisher } from './delivery.publisher';
import { MessageFanoutService } from './message-fanout.service';
import { ReceiptFanoutService } from './receipt-fanout.service';

/**
 * The fan-out step: committed messages, and members' receipts that moved, to the gateway boxes
 * holding their members' sockets.
 */
@Module({
  providers: [
    DeviceLocationsRepository,
    DeliveryRouter,
    DeliveryPublisher,
    MessageFanoutService,
    ReceiptFanoutService,
  ],
  exports: [MessageFanoutService, ReceiptFanoutService, DeliveryPublisher],
})
export class FanoutModule {}
