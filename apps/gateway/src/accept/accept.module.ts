import { Module } from '@nestjs/common';
import { MessageAcceptService } from './message-accept.service';
import { MessageAcceptedPublisher } from './message-accepted.publisher';
import { PendingAcks } from './pending-acks';

/**
 * The accept step: a `send` frame is checked (budget, text, membership or first contact) and
 * handed to Kafka as `message.accepted`; its pending ack is counted here until it comes back.
 */
@Module({
  providers: [MessageAcceptService, MessageAcceptedPublisher, PendingAcks],
  exports: [MessageAcceptService],
})
export class AcceptModule {}
