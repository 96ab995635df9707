import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import type { AccountEventEnvelope } from './presence-events';
import { PresenceService } from './presence.service';

/** Thin Kafka consumer: registering and logging in move last seen. */
@Controller()
export class AccountEventsConsumer {
  private readonly logger = new Logger(AccountEventsConsumer.name);

  constructor(private readonly presence: PresenceService) {}

  @EventPattern(Topic.AccountEvents)
  async onAccountEvents(@Payload() batch: EventBatch<AccountEventEnvelope>): Promise<void> {
    const users = await this.presence.applyAccountEvents(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, users },
      'presence updated from account events',
    );
  }
}
