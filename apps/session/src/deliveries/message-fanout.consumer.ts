import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import { MessageFanoutService, MessageStoredEnvelope } from './message-fanout.service';

/**
 * Thin Kafka consumer: a partition batch of stored messages in, one service call; resolves once
 * every gateway box's delivery batch is published (then the offsets commit).
 */
@Controller()
export class MessageFanoutConsumer {
  private readonly logger = new Logger(MessageFanoutConsumer.name);

  constructor(private readonly fanout: MessageFanoutService) {}

  @EventPattern(Topic.MessagesStored)
  async onMessageStored(@Payload() batch: EventBatch<MessageStoredEnvelope>): Promise<void> {
    const result = await this.fanout.fanOut(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, ...result },
      'stored messages fanned out',
    );
  }
}
