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
import { CursorsRepository, MovedReceipt } from './cursors.repository';

/** The most cursor events one transaction takes. */
const MAX_GROUP_EVENTS = 5000;

type WaitingBatch = GroupMember<CursorEventEnvelope, void>;

/**
 * The cursor step: delivered cursors per device and read cursors per member only move forward.
 * A single-move event for a conversation the user is not a member of is poison (dead-lettered);
 * in a gateway's `cursors.moved` record such a move raced a removal and is left out.
 *
 * Partition batches that arrive together are written together: ONE transaction (membership
 * check, the device upsert, the members' update) for the group instead of three autocommitted
 * statements per partition, which kept pool connections and WAL flushes away from the message path.
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
    let moved: MovedReceipt[] = [];
    const written = await this.cursors.transaction(async (tx) => {
      const members = memberSet(await tx.findMemberships(plan.memberships));
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
      await tx.advanceDelivered(toWrite.delivered);
      moved = await tx.advanceMembers(memberReceipts(toWrite));
      return clean;
    });
    await this.receipts.fanOut(moved);
    for (const g of written) g.resolve();
  }
}
