import { Module } from '@nestjs/common';
import { GroupChangeAcceptService } from './group-change-accept.service';
import { MessageAcceptService } from './message-accept.service';
import { MessageAcceptedPublisher } from './message-accepted.publisher';
import { PendingAcks } from './pending-acks';

/**
 * The accept step: a `send` frame is checked (budget, text, membership or first contact) and
 * handed to Kafka as `message.accepted`, a `group` frame as `group.change-accepted`; its pending
 * ack is counted here until it comes back.
 */
@Module({
  providers: [
    MessageAcceptService,
    GroupChangeAcceptService,
    MessageAcceptedPublisher,
    PendingAcks,
  ],
  exports: [MessageAcceptService, GroupChangeAcceptService],
})
export class AcceptModule {}
