import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  MAX_ACTIVE_USERS_PER_EVENT,
  Topic,
  TOPIC_SPECS,
  UsersActiveV1,
} from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { ActivityCoalescer } from './activity-coalescer';

/** How often gathered activity goes to Kafka (one record for every user due). */
export const ACTIVITY_FLUSH_MS = 250;
const ACTIVITY_PARTITIONS = TOPIC_SPECS.find((t) => t.name === Topic.Activity)?.partitions ?? 1;

/**
 * User activity (a send, a read, typing, opening a conversation) to presence: each user at most
 * once per PRESENCE_ACTIVITY_COALESCE_MS from this gateway (ActivityCoalescer), and everything due
 * goes every ACTIVITY_FLUSH_MS as one `users.active` record (up to 1,000 users), keyed
 * `<gatewayId>:<n>` over the partitions like the cursor records: last seen only moves forward, so
 * the records need no order. So activity costs a few records a second per gateway, never one
 * per action. App activity (heartbeats, sync, delivered cursors, reconnects) never comes here.
 * Best effort: a lost record leaves last seen a little older, and is logged. The flush timer runs
 * only while some user's window is open: a gateway nobody acts on does not wake for it.
 */
@Injectable()
export class ActivityPublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ActivityPublisher.name);
  private readonly coalescer: ActivityCoalescer;
  /** Users whose first action of a window is waiting for the next flush. */
  private ready: { userId: string; at: number }[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private keyIndex = 0;

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG)
    private readonly config: Pick<GatewayConfig, 'GATEWAY_ID' | 'PRESENCE_ACTIVITY_COALESCE_MS'>,
  ) {
    this.coalescer = new ActivityCoalescer(config.PRESENCE_ACTIVITY_COALESCE_MS);
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush(Number.POSITIVE_INFINITY);
  }

  /** The user did something now. */
  note(userId: string): void {
    const at = this.coalescer.note(userId, Date.now());
    if (at !== undefined) this.ready.push({ userId, at });
    if (this.timer === undefined && !this.stopped) {
      this.timer = setInterval(() => this.tick(), ACTIVITY_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Flushes what is due; stops the timer once no user's window is open (the next note starts it). */
  private tick(): void {
    this.flush(Date.now());
    if (this.ready.length > 0 || this.coalescer.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private flush(now: number): void {
    const due = this.ready.concat(this.coalescer.due(now));
    this.ready = [];
    for (let i = 0; i < due.length; i += MAX_ACTIVE_USERS_PER_EVENT) {
      const users = due
        .slice(i, i + MAX_ACTIVE_USERS_PER_EVENT)
        .map(({ userId, at }) => ({ userId, at: new Date(at).toISOString() }));
      this.publisher
        .publish(Topic.Activity, this.nextKey(), UsersActiveV1, { users })
        .catch((err: unknown) =>
          this.logger.warn({ err, users: users.length }, 'user activity not published'),
        );
    }
  }

  /** Records rotate over the topic's partitions. */
  private nextKey(): string {
    this.keyIndex = (this.keyIndex + 1) % ACTIVITY_PARTITIONS;
    return `${this.config.GATEWAY_ID}:${this.keyIndex}`;
  }
}
