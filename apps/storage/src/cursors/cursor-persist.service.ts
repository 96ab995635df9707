import { Injectable, Logger } from '@nestjs/common';
import { GroupCommitQueue, GroupMember, PoisonEventError } from '@parley/kafka';
import { ReceiptFanoutService } from '../fanout/receipt-fanout.service';
import {
  CursorEventEnvelope,
  memberReceipts,
  memberSet,
  membersOnly,
  nonMemberEventIds,
  planCursors,
} from './cursor-persist.plan';
import { CursorsRepository } from './cursors.repository';

/** The most cursor events one step (look-up and statement) takes. */
const MAX_GROUP_EVENTS = 5000;

type WaitingBatch = GroupMember<CursorEventEnvelope, void>;

/**
 * The cursor step: delivered cursors per device and read cursors per member only move forward.
 * A single-move event for a conversation the user is not a member of is poison (dead-lettered);
 * in a gateway's `cursors.moved` record such a move raced a removal and is left out.
 *
 * Partition batches that arrive together are written together: one membership look-up and then
 * ONE statement for the group (CursorsRepository.advance: the device upsert and the members'
 * update, both or neither), not one per partition: two round trips, where the transaction of
 * the three took five (its BEGIN and COMMIT). The look-up never locked the
 * memberships (a transaction under READ COMMITTED would not either), so a removal that commits
 * between it and the write is as one that commits just after: the write caps a member's
 * cursors at its leaving.
 *
 * Receipts: the members' update returns the receipts that moved (a member's delivered or read
 * position), and after the commit they are fanned out to the conversations' other members (one
 * `receipt` frame per moved member per conversation per group, however many messages it covers).
 */
@Injectable()
export class CursorPersistService {
  private readonly logger = new Logger(CursorPersistService.name);
  private readonly queue = new GroupCommitQueue<CursorEventEnvelope, void>(
    (group) => this.applyGroup(group),
    MAX_GROUP_EVENTS,
  );

  constructor(
    private readonly cursors: CursorsRepository,
    private readonly receipts: ReceiptFanoutService,
  ) {}

  /** Resolves once the batch's cursors are committed. */
  apply(events: readonly CursorEventEnvelope[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.queue.submit(events);
  }

  /**
   * A batch naming a non-member is refused with its poisoned ids (its consumer dead-letters them
   * and sends the rest again); the other batches of the group are written and resolved.
   */
  private async applyGroup(group: WaitingBatch[]): Promise<void> {
    const plan = planCursors(group.flatMap((g) => g.events));
    const members = memberSet(await this.cursors.findMemberships(plan.memberships));
    const clean: WaitingBatch[] = [];
    for (const g of group) {
      const poisoned = nonMemberEventIds(g.events, members);
      if (poisoned.length === 0) clean.push(g);
      else g.reject(new PoisonEventError(poisoned, 'user is not a member of the conversation'));
    }
    // Re-planned only when a batch was refused (rare: the gateway checks membership first).
    const { plan: toWrite, dropped } = membersOnly(
      clean.length === group.length ? plan : planCursors(clean.flatMap((g) => g.events)),
      members,
    );
    if (dropped > 0) this.logger.log({ dropped }, 'cursor moves of non-members left out');
    const moved = await this.cursors.advance(toWrite.delivered, memberReceipts(toWrite));
    await this.receipts.fanOut(moved);
    for (const g of clean) g.resolve();
  }
}
