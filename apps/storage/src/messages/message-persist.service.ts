import { Injectable, Logger } from '@nestjs/common';
import { observeHop } from '@parley/common';
import { GroupCommitQueue, GroupMember, PoisonEventError } from '@parley/kafka';
import { FailpointsService } from '../failpoints/failpoints.service';
import { MessageFanoutService } from '../fanout/message-fanout.service';
import { GroupChangeService } from '../groups/group-change.service';
import {
  AcceptedEnvelope,
  findPoison,
  GroupChangeEnvelope,
  isGroupChange,
  isRefused,
  isStored,
  MessageAcceptedEnvelope,
  newMessages,
  PersistOutcome,
  planPersist,
  resolvePlan,
  uniqueSenderKeys,
} from './message-persist.plan';
import { isUniqueViolation, MessagesRepository } from './messages.repository';

/** A concurrent consumer (during a rebalance) can win the insert race; then we re-plan. */
const MAX_RACE_ATTEMPTS = 3;
/** The most accepted events one group-committed transaction takes. */
const MAX_GROUP_EVENTS = 2000;
/**
 * After a run the one-statement append could not take (a retry, a refusal, poison), this many
 * runs go straight to the look-up: replays after a crash or a failover come as bursts of retries,
 * and each would otherwise pay for a failed statement first.
 */
const LOOK_UP_FIRST_RUNS = 16;

type QueuedBatch = GroupMember<AcceptedEnvelope, PersistResult>;

export interface PersistResult {
  stored: number;
  duplicates: number;
  refused: number;
}

/**
 * The persist step: accepted sends become messages with a gap-free seq per conversation, then the
 * fan-out step pushes them (and the senders' acks) to the gateway boxes. The order matters:
 * COMMIT, then fan-out, then the caller resolves (and the offsets commit). If fan-out fails after
 * the commit the batch is retried: dedup on (sender, clientMsgId) turns it into the same messages
 * with the same seqs, pushed again (a device ignores a seq it holds).
 */
@Injectable()
export class MessagePersistService {
  private readonly logger = new Logger(MessagePersistService.name);
  private readonly queue = new GroupCommitQueue<AcceptedEnvelope, PersistResult>(
    (group) => this.persistGroup(group),
    MAX_GROUP_EVENTS,
  );
  /** Runs left that skip the one-statement append (LOOK_UP_FIRST_RUNS). */
  private lookUpFirst = 0;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly fanout: MessageFanoutService,
    private readonly failpoints: FailpointsService,
    private readonly groups: GroupChangeService,
  ) {}

  /**
   * Group commit: partition batches that arrive while a transaction is in flight wait and then
   * go together as ONE transaction and one fan-out. Batches grow with load and nothing waits on
   * a timer; each caller still resolves only once its own events are committed and published.
   */
  persist(events: readonly AcceptedEnvelope[]): Promise<PersistResult> {
    if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0, refused: 0 });
    const now = Date.now();
    for (const e of events) observeHop('storage_fetched', e.payload.acceptedAt, now);
    return this.queue.submit(events);
  }

  /**
   * Commits the group, then hands its messages to fan-out and returns: the next group's
   * transaction overlaps this group's fan-out. Fan-out runs its calls in order, so the boxes get
   * the messages in commit order; each caller settles only when its own fan-out is published.
   */
  private async persistGroup(group: QueuedBatch[]): Promise<void> {
    let stored: PersistOutcome[];
    const events = group.flatMap((g) => g.events);
    try {
      stored = await this.storeInOrder(events);
    } catch (err) {
      if (err instanceof PoisonEventError && group.length > 1) {
        // Run each partition's batch alone, so only the batch holding the poison dead-letters it.
        for (const g of group) {
          await this.storeInOrder(g.events).then(
            (mine) => {
              this.failpoints.hit('storage.crash-after-commit');
              this.fanOutThenSettle([g], mine);
            },
            (e: unknown) => g.reject(e),
          );
        }
        return;
      }
      throw err; // the queue rejects every caller of the group
    }
    // Test hook: dying here, committed but not fanned out, must lose nothing (the redelivered
    // batch is deduplicated into the same messages and seqs).
    this.failpoints.hit('storage.crash-after-commit');
    this.fanOutThenSettle(group, stored);
  }

  /** Hands the messages to fan-out (synchronously, in commit order); settles the callers after. */
  private fanOutThenSettle(group: readonly QueuedBatch[], stored: readonly PersistOutcome[]): void {
    const committedAt = Date.now();
    for (const s of stored) {
      if (!isRefused(s)) observeHop('storage_committed', s.acceptedAt, committedAt);
    }
    this.fanout.fanOut(stored).then(
      () => {
        let offset = 0;
        for (const g of group) {
          const mine = stored.slice(offset, offset + g.events.length);
          offset += g.events.length;
          const refused = mine.filter(isRefused).length;
          const duplicates = mine.filter((s) => isStored(s) && s.duplicate).length;
          g.resolve({ stored: mine.length - duplicates - refused, duplicates, refused });
        }
      },
      (err: unknown) => {
        for (const g of group) g.reject(err);
      },
    );
  }

  /**
   * The events in offset order: each run of sends goes through the batched statements, and each
   * group change is its own transaction between them, so a conversation's membership is decided
   * exactly where its change sits among its messages (a send after a removal is refused).
   */
  private async storeInOrder(events: readonly AcceptedEnvelope[]): Promise<PersistOutcome[]> {
    if (!events.some(isGroupChange)) {
      return this.storeRetryingRaces(events as readonly MessageAcceptedEnvelope[]);
    }
    const outcomes: PersistOutcome[] = [];
    let run: MessageAcceptedEnvelope[] = [];
    for (const event of events) {
      if (!isGroupChange(event)) {
        run.push(event);
        continue;
      }
      if (run.length > 0) outcomes.push(...(await this.storeRetryingRaces(run)));
      run = [];
      outcomes.push(await this.applyChangeRetryingRaces(event));
    }
    if (run.length > 0) outcomes.push(...(await this.storeRetryingRaces(run)));
    return outcomes;
  }

  private async applyChangeRetryingRaces(event: GroupChangeEnvelope): Promise<PersistOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.groups.apply(event);
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= MAX_RACE_ATTEMPTS) throw err;
      }
    }
  }

  private async storeRetryingRaces(
    events: readonly MessageAcceptedEnvelope[],
  ): Promise<PersistOutcome[]> {
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

  /**
   * One round trip when nothing needs sorting out: every send new and from a current member
   * (`appendAsMembers`). Otherwise, or when that statement declines, two: one read (retries
   * already stored, the conversations' members), then ONE statement that reserves the seqs and
   * inserts the new messages, committing both or neither. A retry stored by another consumer in
   * between (a rebalance) fails that statement as a unique violation, and the batch is planned
   * again.
   */
  private async storeOnce(events: readonly MessageAcceptedEnvelope[]): Promise<PersistOutcome[]> {
    const asMembers = await this.storeAsMembers(events);
    if (asMembers) return asMembers;
    const conversationIds = [...new Set(events.map((e) => e.payload.conversationId))];
    const {
      stored: already,
      members,
      channels,
    } = await this.messages.lookUp(uniqueSenderKeys(events), conversationIds);
    const plan = planPersist(events, already, members, channels);
    const pending = plan.entries.filter((e) => e.kind !== 'stored').map((e) => e.event);
    const poison = findPoison(pending, members);
    if (poison) throw new PoisonEventError(poison.eventIds, poison.reason);

    const allocations = await this.messages.append(plan.seqRequests, newMessages(plan));
    return resolvePlan(plan, allocations, members, channels);
  }

  /**
   * The plan as if nothing were stored yet and every sender a member, written in one statement
   * that declines (null, nothing written) when either is not so. A text PostgreSQL would refuse
   * (a NUL) goes to the look-up path, which dead-letters it as poison.
   */
  private async storeAsMembers(
    events: readonly MessageAcceptedEnvelope[],
  ): Promise<PersistOutcome[] | null> {
    if (this.lookUpFirst > 0) {
      this.lookUpFirst -= 1;
      return null;
    }
    const plan = planPersist(events, []);
    const messages = newMessages(plan);
    if (messages.some((m) => m.body.includes('\u0000'))) return null;
    const written = await this.messages.appendAsMembers(plan.seqRequests, messages);
    if (!written) {
      this.lookUpFirst = LOOK_UP_FIRST_RUNS;
      this.logger.debug(
        { events: events.length },
        'a retry, a non-member or a missing conversation in the run: looking it up',
      );
      return null;
    }
    return resolvePlan(plan, written.allocations, written.members, written.channels);
  }
}
