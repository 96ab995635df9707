import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import type { TypingEventEnvelope } from './presence-events';
import { TypingRouterService } from './typing-router.service';

/** Thin Kafka consumer: typing signals to the other members' sockets (late ones dropped). */
@Controller()
export class TypingEventsConsumer {
  private readonly logger = new Logger(TypingEventsConsumer.name);

  constructor(private readonly typing: TypingRouterService) {}

  @EventPattern(Topic.Typing)
  async onTyping(@Payload() batch: EventBatch<TypingEventEnvelope>): Promise<void> {
    const { routed, late } = await this.typing.route(batch.events);
    this.logger.debug({ partition: batch.partition, routed, late }, 'typing routed');
  }
}
