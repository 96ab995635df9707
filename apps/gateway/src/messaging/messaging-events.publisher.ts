import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  CursorDeliveredV1,
  CursorReadV1,
  MessageAcceptedV1,
  PayloadOf,
  Topic,
  withTimeout,
} from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { MessagingException } from './messaging.exception';

/**
 * Client actions onto Kafka, keyed by conversation (the unit of ordering). A publish that Kafka
 * has not acknowledged within KAFKA_PUBLISH_TIMEOUT_MS becomes `unavailable`: the client keeps the
 * send in its outbox and retries with the same clientMsgId (storage makes the retry idempotent,
 * even if the first attempt lands after all).
 */
@Injectable()
export class MessagingEventsPublisher {
  private readonly logger = new Logger(MessagingEventsPublisher.name);

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'KAFKA_PUBLISH_TIMEOUT_MS'>,
  ) {}

  accepted(payload: PayloadOf<typeof MessageAcceptedV1>, correlationId?: string): Promise<void> {
    return this.bounded(
      'message.accepted',
      payload.conversationId,
      this.publisher.publish(
        Topic.MessagesAccepted,
        payload.conversationId,
        MessageAcceptedV1,
        payload,
        { correlationId },
      ),
    );
  }

  read(payload: PayloadOf<typeof CursorReadV1>, correlationId?: string): Promise<void> {
    return this.bounded(
      'cursor.read',
      payload.conversationId,
      this.publisher.publish(Topic.Cursors, payload.conversationId, CursorReadV1, payload, {
        correlationId,
      }),
    );
  }

  delivered(payload: PayloadOf<typeof CursorDeliveredV1>, correlationId?: string): Promise<void> {
    return this.bounded(
      'cursor.delivered',
      payload.conversationId,
      this.publisher.publish(Topic.Cursors, payload.conversationId, CursorDeliveredV1, payload, {
        correlationId,
      }),
    );
  }

  private async bounded(event: string, conversationId: string, sending: Promise<void>) {
    try {
      await withTimeout(sending, this.config.KAFKA_PUBLISH_TIMEOUT_MS, 'Kafka publish');
    } catch (err) {
      this.logger.warn({ err, event, conversationId }, 'client action not published');
      throw MessagingException.unavailable();
    }
  }
}
