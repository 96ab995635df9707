import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import { GatewayDirectoryService, GatewayHeartbeatEnvelope } from './gateway-directory.service';

/** Thin Kafka consumer: a validated batch of gateway heartbeats in, one service call. */
@Controller()
export class GatewayHeartbeatsConsumer {
  private readonly logger = new Logger(GatewayHeartbeatsConsumer.name);

  constructor(private readonly directory: GatewayDirectoryService) {}

  @EventPattern(Topic.GatewayHeartbeats)
  async onGatewayHeartbeat(@Payload() batch: EventBatch<GatewayHeartbeatEnvelope>): Promise<void> {
    const gateways = await this.directory.recordHeartbeats(batch.events);
    this.logger.debug({ events: batch.events.length, gateways }, 'gateway heartbeats recorded');
  }
}
