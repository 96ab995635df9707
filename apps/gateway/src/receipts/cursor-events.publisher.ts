import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, CursorDeliveredV1, CursorReadV1, PayloadOf, Topic } from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { publishBounded } from '../errors/publish-bounded';

/** Cursor moves onto Kafka (`parley.cursors.v1`), keyed by conversation, for storage to persist. */
@Injectable()
export class CursorEventsPublisher {
  private readonly logger = new Logger(CursorEventsPublisher.name);

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'KAFKA_PUBLISH_TIMEOUT_MS'>,
  ) {}

  read(payload: PayloadOf<typeof CursorReadV1>, correlationId?: string): Promise<void> {
    return publishBounded(
      this.publisher.publish(Topic.Cursors, payload.conversationId, CursorReadV1, payload, {
        correlationId,
      }),
      this.config.KAFKA_PUBLISH_TIMEOUT_MS,
      this.logger,
      { event: 'cursor.read', conversationId: payload.conversationId },
    );
  }

  delivered(payload: PayloadOf<typeof CursorDeliveredV1>, correlationId?: string): Promise<void> {
    return publishBounded(
      this.publisher.publish(Topic.Cursors, payload.conversationId, CursorDeliveredV1, payload, {
        correlationId,
      }),
      this.config.KAFKA_PUBLISH_TIMEOUT_MS,
      this.logger,
      { event: 'cursor.delivered', conversationId: payload.conversationId },
    );
  }
}
