import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import type { CursorEventEnvelope } from './cursor-persist.plan';
import { CursorPersistService } from './cursor-persist.service';

/** Thin Kafka consumer: a partition batch of delivered/read cursors in, one service call. */
@Controller()
export class CursorPersistConsumer {
  private readonly logger = new Logger(CursorPersistConsumer.name);

  constructor(private readonly cursors: CursorPersistService) {}

  @EventPattern(Topic.Cursors)
  async onCursor(@Payload() batch: EventBatch<CursorEventEnvelope>): Promise<void> {
    await this.cursors.apply(batch.events);
    this.logger.debug(
      { partition: batch.partition, events: batch.events.length },
      'cursors advanced',
    );
  }
}
