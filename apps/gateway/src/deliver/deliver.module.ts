import { Module } from '@nestjs/common';
import { AcceptModule } from '../accept/accept.module';
import { ReceiptsModule } from '../receipts/receipts.module';
import { DeliverySubscriber } from './delivery.subscriber';

/** The deliver step: storage's delivery batches for this box -> `message` and `ack` frames. */
@Module({
  imports: [AcceptModule, ReceiptsModule],
  providers: [DeliverySubscriber],
})
export class DeliverModule {}
