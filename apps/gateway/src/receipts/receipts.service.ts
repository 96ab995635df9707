import { Injectable } from '@nestjs/common';
import { ConversationsService } from '../conversations/conversations.service';
import { MessagingException } from '../errors/messaging.exception';
import { ConversationsReadModel } from '../read-model/conversations.read-model';
import { CursorEventsPublisher } from './cursor-events.publisher';
import { KnownSeqCache } from './known-seq.cache';

/**
 * Receipts: a device's delivered cursor and a member's read cursor move here (through Kafka to
 * storage). A cursor may not run ahead of the conversation; the other steps report the stored seqs
 * they see (`observeStored`), so the usual cursor costs no query.
 */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly readModel: ConversationsReadModel,
    private readonly knownSeqs: KnownSeqCache,
    private readonly events: CursorEventsPublisher,
  ) {}

  /** A stored message this gateway delivered or served: its seq exists. */
  observeStored(conversationId: string, seq: number): void {
    this.knownSeqs.observe(conversationId, seq);
  }

  /** Moves the member's read cursor (through Kafka -> storage); members only. */
  async markRead(
    userId: string,
    conversationId: string,
    seq: number,
    correlationId?: string,
  ): Promise<void> {
    await this.conversations.requireMember(conversationId, userId);
    await this.requireKnownSeq(conversationId, seq);
    await this.events.read(
      { conversationId, userId, seq, at: new Date().toISOString() },
      correlationId,
    );
  }

  /** Moves this device's delivered cursor (through Kafka -> storage); members only. */
  async markDelivered(
    userId: string,
    deviceId: string,
    conversationId: string,
    seq: number,
    correlationId?: string,
  ): Promise<void> {
    await this.conversations.requireMember(conversationId, userId);
    await this.requireKnownSeq(conversationId, seq);
    await this.events.delivered(
      { conversationId, userId, deviceId, seq, at: new Date().toISOString() },
      correlationId,
    );
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
