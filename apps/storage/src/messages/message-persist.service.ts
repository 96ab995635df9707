import { Injectable, Logger } from '@nestjs/common';
import { MessageStoredV1, Topic } from '@parley/common';
import { EventPublisher, PoisonEventError } from '@parley/kafka';
import {
  findPoison,
  MessageAcceptedEnvelope,
  MessageStoredPayload,
  planPersist,
  resolvePlan,
  uniqueSenderKeys,
} from './message-persist.plan';
import { isUniqueViolation, MessagesRepository } from './messages.repository';

/** A concurrent consumer (during a rebalance) can win the insert race; then we re-plan. */
const MAX_RACE_ATTEMPTS = 3;

export interface PersistResult {
  stored: number;
  duplicates: number;
}

/**
 * The persist step: accepted sends become messages with a gap-free seq per conversation, then one
 * MessageStoredV1 per accepted event goes to Kafka. The order matters: COMMIT, then publish, then
 * the caller resolves (and the offsets commit). If publishing fails after the commit the batch is
 * retried: dedup on (sender, clientMsgId) turns it into the same stored events with the same seqs.
 */
@Injectable()
export class MessagePersistService {
  private readonly logger = new Logger(MessagePersistService.name);

  constructor(
    private readonly messages: MessagesRepository,
    private readonly publisher: EventPublisher,
  ) {}

  async persist(events: readonly MessageAcceptedEnvelope[]): Promise<PersistResult> {
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    const stored = await this.storeRetryingRaces(events);
    await this.publisher.publishMany(
      Topic.MessagesStored,
      stored.map((payload, i) => ({
        key: payload.conversationId,
        contract: MessageStoredV1,
        payload,
        correlationId: events[i].correlationId ?? events[i].id,
      })),
    );
    const duplicates = stored.filter((s) => s.duplicate).length;
    return { stored: stored.length - duplicates, duplicates };
  }

  private async storeRetryingRaces(
    events: readonly MessageAcceptedEnvelope[],
  ): Promise<MessageStoredPayload[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.storeOnce(events);
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= MAX_RACE_ATTEMPTS) throw err;
        this.logger.warn(
          { events: events.length, attempt },
          'messages stored concurrently by another consumer; re-planning as duplicates',
        );
      }
    }
  }

  /** ONE transaction: dedup, membership, seq allocation and inserts commit or roll back together. */
  private storeOnce(events: readonly MessageAcceptedEnvelope[]): Promise<MessageStoredPayload[]> {
    return this.messages.transaction(async (tx) => {
      const already = await tx.findStored(uniqueSenderKeys(events));
      const plan = planPersist(events, already);
      const pending = plan.entries.filter((e) => e.kind !== 'stored').map((e) => e.event);
      const conversationIds = new Set([
        ...pending.map((e) => e.payload.conversationId),
        ...already.map((s) => s.conversationId),
      ]);
      const members = await tx.membersOf([...conversationIds]);
      const poison = findPoison(pending, members);
      if (poison) throw new PoisonEventError(poison.eventIds, poison.reason);

      const allocations = await tx.allocateSeqs(plan.seqRequests);
      const { rows, stored } = resolvePlan(plan, allocations, members);
      await tx.insertMessages(rows);
      return stored;
    });
  }
}
