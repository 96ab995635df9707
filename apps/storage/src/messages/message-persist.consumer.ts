import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import type { AcceptedEnvelope } from './message-persist.plan';
import { MessagePersistService } from './message-persist.service';

/**
 * Thin Kafka consumer: one partition batch of accepted sends and group changes in, one service call. Resolves once
 * the messages are committed AND fanned out to the gateway boxes; the transport commits after.
 */
@Controller()
export class MessagePersistConsumer {
  private readonly logger = new Logger(MessagePersistConsumer.name);

  constructor(private readonly persist: MessagePersistService) {}

  @EventPattern(Topic.MessagesAccepted)
  async onMessageAccepted(@Payload() batch: EventBatch<AcceptedEnvelope>): Promise<void> {
    const result = await this.persist.persist(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length, ...result },
      'accepted messages persisted',
    );
  }
}
