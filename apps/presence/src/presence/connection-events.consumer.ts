import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import type { ConnectionEventEnvelope } from './presence-events';
import { PresenceService } from './presence.service';

/** Thin Kafka consumer: sockets opened, closed, to the foreground or background -> online. */
@Controller()
export class ConnectionEventsConsumer {
  private readonly logger = new Logger(ConnectionEventsConsumer.name);

  constructor(private readonly presence: PresenceService) {}

  @EventPattern(Topic.Connections)
  async onConnectionEvents(@Payload() batch: EventBatch<ConnectionEventEnvelope>): Promise<void> {
    const users = await this.presence.applyConnections(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, users },
      'presence updated from connection events',
    );
  }
}
