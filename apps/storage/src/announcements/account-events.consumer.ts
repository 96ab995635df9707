import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import { type AccountEventEnvelope, AnnouncementsService } from './announcements.service';

/** Thin Kafka consumer: registrations in, announcements-channel members out. */
@Controller()
export class AccountEventsConsumer {
  private readonly logger = new Logger(AccountEventsConsumer.name);

  constructor(private readonly announcements: AnnouncementsService) {}

  @EventPattern(Topic.AccountEvents)
  async onAccountEvents(@Payload() batch: EventBatch<AccountEventEnvelope>): Promise<void> {
    const added = await this.announcements.onAccountEvents(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, added },
      'announcements channel members added',
    );
  }
}
