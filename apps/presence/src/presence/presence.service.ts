import { Injectable } from '@nestjs/common';
import { AppException, Topic } from '@parley/common';
import { ErrorCode } from '@parley/protocol';
import type { TopicEvent } from '@parley/kafka';
import { LastSeen, PresenceRepository } from './presence.repository';

export type AccountEventEnvelope = TopicEvent<typeof Topic.AccountEvents>;
export type ConnectionEventEnvelope = TopicEvent<typeof Topic.Connections>;

export interface PresenceView {
  userId: string;
  lastSeenAt: string;
}

/**
 * When a user was last seen. Registering, logging in and logging out are all activity, and so are
 * a device's socket opening and closing; the latest time per user wins.
 */
@Injectable()
export class PresenceService {
  constructor(private readonly presence: PresenceRepository) {}

  /** Applies a batch of account events in one write; resolves once it is committed. */
  async recordAccountActivity(events: readonly AccountEventEnvelope[]): Promise<number> {
    const entries = latestActivityPerUser(events);
    await this.presence.upsertLastSeen(entries);
    return entries.length;
  }

  /** Applies a batch of connection opened/closed events in one write (their `at` is the time). */
  async recordConnectionActivity(events: readonly ConnectionEventEnvelope[]): Promise<number> {
    const entries = latestPerUser(
      events.map((e) => ({ userId: e.payload.userId, at: new Date(e.payload.at) })),
    );
    await this.presence.upsertLastSeen(entries);
    return entries.length;
  }

  async lastSeen(userId: string): Promise<PresenceView> {
    const found = await this.presence.findLastSeen(userId);
    if (!found) throw new AppException(ErrorCode.NotFound, 'No presence recorded for this user');
    return { userId: found.userId, lastSeenAt: found.lastSeenAt.toISOString() };
  }
}

/** The moment an account event shows its user active. */
export function activityTime(event: AccountEventEnvelope): Date {
  switch (event.type) {
    case 'account.logged-in':
    case 'account.logged-out':
      return new Date(event.payload.at);
    case 'account.registered':
      return new Date(event.time);
  }
}

/** One entry per user (an upsert may touch each row once), holding the latest activity. */
export function latestActivityPerUser(events: readonly AccountEventEnvelope[]): LastSeen[] {
  return latestPerUser(events.map((e) => ({ userId: e.payload.userId, at: activityTime(e) })));
}

/** One entry per user with the latest of its activity times. */
export function latestPerUser(activity: readonly { userId: string; at: Date }[]): LastSeen[] {
  const latest = new Map<string, Date>();
  for (const { userId, at } of activity) {
    const known = latest.get(userId);
    if (!known || at > known) latest.set(userId, at);
  }
  return [...latest].map(([userId, lastSeenAt]) => ({ userId, lastSeenAt }));
}
