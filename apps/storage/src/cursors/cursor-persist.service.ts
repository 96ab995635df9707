import { Injectable } from '@nestjs/common';
import { GroupCommitQueue, GroupMember, PoisonEventError } from '@parley/kafka';
import { CursorEventEnvelope, nonMemberEventIds, planCursors } from './cursor-persist.plan';
import { CursorsRepository } from './cursors.repository';

/** The most cursor events one transaction takes. */
const MAX_GROUP_EVENTS = 5000;

export interface CursorResult {
  delivered: number;
  read: number;
}

type WaitingBatch = GroupMember<CursorEventEnvelope, CursorResult>;

/**
 * The cursor step: delivered cursors per device and read cursors per member only move forward.
 * A cursor for a conversation the user is not a member of is poison (dead-lettered).
 *
 * Partition batches that arrive together are written together: ONE transaction (membership
 * check and both upserts) for the group instead of three autocommitted statements per partition,
 * which kept pool connections and WAL flushes away from the message path.
 */
@Injectable()
export class CursorPersistService {
  private readonly queue = new GroupCommitQueue<CursorEventEnvelope, CursorResult>(
    (group) => this.applyGroup(group),
    MAX_GROUP_EVENTS,
  );

  constructor(private readonly cursors: CursorsRepository) {}

  apply(events: readonly CursorEventEnvelope[]): Promise<CursorResult> {
    if (events.length === 0) return Promise.resolve({ delivered: 0, read: 0 });
    return this.queue.submit(events);
  }

  /**
   * A batch naming a non-member is refused with its poisoned ids (its consumer dead-letters them
   * and sends the rest again); the other batches of the group are written and resolved.
   */
  private async applyGroup(group: WaitingBatch[]): Promise<void> {
    const written = await this.cursors.transaction(async (tx) => {
      const members = await tx.findMemberships(
        planCursors(group.flatMap((g) => g.events)).memberships,
      );
      const clean: WaitingBatch[] = [];
      for (const g of group) {
        const poisoned = nonMemberEventIds(g.events, members);
        if (poisoned.length === 0) clean.push(g);
        else g.reject(new PoisonEventError(poisoned, 'user is not a member of the conversation'));
      }
      const plan = planCursors(clean.flatMap((g) => g.events));
      await tx.advanceDelivered(plan.delivered);
      await tx.advanceRead(plan.read);
      return clean;
    });
    for (const g of written) {
      const plan = planCursors(g.events);
      g.resolve({ delivered: plan.delivered.length, read: plan.read.length });
    }
  }
}
