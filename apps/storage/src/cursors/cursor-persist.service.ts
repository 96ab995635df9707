import { Injectable } from '@nestjs/common';
import { PoisonEventError } from '@parley/kafka';
import { CursorEventEnvelope, nonMemberEventIds, planCursors } from './cursor-persist.plan';
import { CursorsRepository } from './cursors.repository';

/**
 * The cursor step: delivered cursors per device and read cursors per member only move forward.
 * A cursor for a conversation the user is not a member of is poison (dead-lettered).
 */
@Injectable()
export class CursorPersistService {
  constructor(private readonly cursors: CursorsRepository) {}

  async apply(
    events: readonly CursorEventEnvelope[],
  ): Promise<{ delivered: number; read: number }> {
    const plan = planCursors(events);
    const members = await this.cursors.findMemberships(plan.memberships);
    const poisoned = nonMemberEventIds(events, members);
    if (poisoned.length > 0) {
      throw new PoisonEventError(poisoned, 'user is not a member of the conversation');
    }
    await this.cursors.advanceDelivered(plan.delivered);
    await this.cursors.advanceRead(plan.read);
    return { delivered: plan.delivered.length, read: plan.read.length };
  }
}
