import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, MessageAcceptedV1, PayloadOf, Topic } from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { publishBounded } from '../errors/publish-bounded';

/** The accept step's output: `message.accepted`, keyed by conversation (the unit of ordering). */
@Injectable()
export class MessageAcceptedPublisher {
  private readonly logger = new Logger(MessageAcceptedPublisher.name);

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'KAFKA_PUBLISH_TIMEOUT_MS'>,
  ) {}

  accepted(payload: PayloadOf<typeof MessageAcceptedV1>, correlationId?: string): Promise<void> {
    return publishBounded(
      this.publisher.publish(
        Topic.MessagesAccepted,
        payload.conversationId,
        MessageAcceptedV1,
        payload,
        { correlationId },
      ),
      this.config.KAFKA_PUBLISH_TIMEOUT_MS,
      this.logger,
      { event: 'message.accepted', conversationId: payload.conversationId },
    );
  }
}
