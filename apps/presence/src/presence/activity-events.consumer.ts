import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import type { ActivityEventEnvelope } from './presence-events';
import { PresenceService } from './presence.service';

/** Thin Kafka consumer: user activity (coalesced by the gateways) moves last seen. */
@Controller()
export class ActivityEventsConsumer {
  private readonly logger = new Logger(ActivityEventsConsumer.name);

  constructor(private readonly presence: PresenceService) {}

  @EventPattern(Topic.Activity)
  async onActivity(@Payload() batch: EventBatch<ActivityEventEnvelope>): Promise<void> {
    const users = await this.presence.applyActivity(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, users },
      'last seen moved',
    );
  }
}
