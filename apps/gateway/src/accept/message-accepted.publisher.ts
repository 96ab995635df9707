import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  GroupChangeAcceptedV1,
  MessageAcceptedV1,
  PayloadOf,
  Topic,
} from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { publishBounded } from '../errors/publish-bounded';

/**
 * The accept step's output: `message.accepted` and `group.change-accepted`, both keyed by
 * conversation (the unit of ordering), on the same topic: storage applies a group change between
 * the messages around it.
 */
@Injectable()
export class MessageAcceptedPublisher {
  private readonly logger = new Logger(MessageAcceptedPublisher.name);

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'KAFKA_PUBLISH_TIMEOUT_MS'>,
  ) {}

  /**
   * A send, built by the accept step only from what it checked (the decoded `send` frame, its text
   * against MESSAGE_MAX_LENGTH, the conversation's membership or creation, the image's row) and
   * from the socket's identity and this box's clock: published `prevalidated`, so the frame is not
   * parsed a second time on its way out. Storage validates the event as any consumer does.
   */
  accepted(payload: PayloadOf<typeof MessageAcceptedV1>, correlationId?: string): Promise<void> {
    return publishBounded(
      this.publisher.publish(
        Topic.MessagesAccepted,
        payload.conversationId,
        MessageAcceptedV1,
        payload,
        { correlationId, prevalidated: true },
      ),
      this.config.KAFKA_PUBLISH_TIMEOUT_MS,
      this.logger,
      { event: 'message.accepted', conversationId: payload.conversationId },
    );
  }

  groupChange(
    payload: PayloadOf<typeof GroupChangeAcceptedV1>,
    correlationId?: string,
  ): Promise<void> {
    return publishBounded(
      this.publisher.publish(
        Topic.MessagesAccepted,
        payload.conversationId,
        GroupChangeAcceptedV1,
        payload,
        { correlationId },
      ),
      this.config.KAFKA_PUBLISH_TIMEOUT_MS,
      this.logger,
      { event: 'group.change-accepted', conversationId: payload.conversationId },
    );
  }
}
