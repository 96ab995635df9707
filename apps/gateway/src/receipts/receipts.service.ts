import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, withTimeout } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { ConversationsService } from '../conversations/conversations.service';
import { MessagingException } from '../errors/messaging.exception';
import { ConversationsReadModel } from '../read-model/conversations.read-model';
import { CursorEventsPublisher } from './cursor-events.publisher';
import { KnownSeqCache } from './known-seq.cache';

/**
 * Receipts: a device's delivered cursor and a member's read cursor move here (gathered, then
 * through Kafka to storage: CursorEventsPublisher). A cursor may not run ahead of the
 * conversation; the other steps report the stored seqs they see (`observeStored`), so the usual
 * cursor costs no query. A WebSocket frame's move is answered once checked (the frame has no
 * reply); `untilPublished` waits until it is on Kafka (the HTTP route's 204 means that).
 */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly readModel: ConversationsReadModel,
    private readonly knownSeqs: KnownSeqCache,
    private readonly events: CursorEventsPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'KAFKA_PUBLISH_TIMEOUT_MS'>,
  ) {}

  /** A stored message this gateway delivered or served: its seq exists. */
  observeStored(conversationId: string, seq: number): void {
    this.knownSeqs.observe(conversationId, seq);
  }

  /**
   * Moves the member's read cursor (through Kafka -> storage). A former member reads what it kept:
   * its cursor moves up to the event that ended its membership (its unread count clears), no
   * further; anyone else is refused.
   */
  async markRead(
    userId: string,
    conversationId: string,
    seq: number,
    { untilPublished = false }: { untilPublished?: boolean } = {},
  ): Promise<void> {
    const until = await this.conversations.requireReader(conversationId, userId);
    await this.requireKnownSeq(conversationId, seq);
    const upTo = until === undefined ? seq : Math.min(seq, until);
    const publishing = this.events.read({ conversationId, userId, seq: upTo });
    if (untilPublished) await this.untilPublished(publishing);
  }

  /**
   * Moves this device's delivered cursor (through Kafka -> storage); members only. A former
   * member's device reporting what it holds (up to the event that removed it) is ignored, not
   * refused: it did nothing wrong, its cursor just no longer moves.
   */
  async markDelivered(
    userId: string,
    deviceId: string,
    conversationId: string,
    seq: number,
  ): Promise<void> {
    const until = await this.conversations.requireReader(conversationId, userId);
    if (until !== undefined) return;
    await this.requireKnownSeq(conversationId, seq);
    // Gathered; the frame has no reply, so nothing waits for Kafka (the publisher logs failures).
    void this.events.delivered({ conversationId, userId, deviceId, seq });
  }

  private async untilPublished(publishing: Promise<void>): Promise<void> {
    try {
      await withTimeout(publishing, this.config.KAFKA_PUBLISH_TIMEOUT_MS, 'cursor publish');
    } catch {
      // The publisher logs why; the move stays gathered and is published when Kafka answers.
      throw MessagingException.unavailable();
    }
  }

  /** A cursor may not run ahead of the conversation (it would hide messages not yet sent). */
  private async requireKnownSeq(conversationId: string, seq: number): Promise<void> {
    if (this.knownSeqs.covers(conversationId, seq)) return;
    const lastSeq = await this.readModel.lastSeq(conversationId);
    if (lastSeq === null) throw MessagingException.forbidden();
    this.knownSeqs.observe(conversationId, lastSeq);
    if (seq > lastSeq) throw MessagingException.invalid('seq', 'is past the last message');
  }
}
