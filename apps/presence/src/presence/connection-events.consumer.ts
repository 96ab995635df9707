import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import { ConnectionEventEnvelope, PresenceService } from './presence.service';

/** Thin Kafka consumer: connection opened/closed events move last-seen forward. */
@Controller()
export class ConnectionEventsConsumer {
  private readonly logger = new Logger(ConnectionEventsConsumer.name);

  constructor(private readonly presence: PresenceService) {}

  @EventPattern(Topic.Connections)
  async onConnectionEvent(@Payload() batch: EventBatch<ConnectionEventEnvelope>): Promise<void> {
    const users = await this.presence.recordConnectionActivity(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, users },
      'presence updated from connection events',
    );
  }
}
