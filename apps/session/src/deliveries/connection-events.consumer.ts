import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import { ConnectionEventEnvelope, DeviceLocationsService } from './device-locations.service';

/** Thin Kafka consumer: connection opened/closed events in, one service call. */
@Controller()
export class ConnectionEventsConsumer {
  private readonly logger = new Logger(ConnectionEventsConsumer.name);

  constructor(private readonly locations: DeviceLocationsService) {}

  @EventPattern(Topic.Connections)
  async onConnectionEvent(@Payload() batch: EventBatch<ConnectionEventEnvelope>): Promise<void> {
    const { opened, closed } = await this.locations.recordConnectionEvents(batch.events);
    this.logger.debug(
      {
        partition: batch.partition,
        events: batch.events.length,
        opened: opened.length,
        closed: closed.length,
      },
      'device locations updated',
    );
  }
}
