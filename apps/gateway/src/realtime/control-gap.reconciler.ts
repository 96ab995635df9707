import { Injectable, Logger } from '@nestjs/common';
import { registeredCounter } from '@parley/common';
import type { Counter } from 'prom-client';
import { SessionsRepository } from '../accounts/sessions.repository';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import { ChannelSubscriptions } from '../conversations/channel-subscriptions';
import { ConversationsService } from '../conversations/conversations.service';
import { PresenceWatchService } from '../presence/presence-watch.service';
import type { ClientConnection } from './client-connection';
import { SocketAdmissionRepository } from './socket-admission.repository';

let gaps: Counter | undefined;

/** `parley_control_gaps_total` on the gateway's /metrics: gaps made up for, each once done. */
function gapsCounter(): Counter {
  gaps ??= registeredCounter({
    name: 'parley_control_gaps_total',
    help: 'Gaps in the gateway control subscription made up for (ended sessions and replaced sockets closed, channel subscriptions reloaded, presence watches checked again).',
  });
  return gaps;
}

/** What one reconciliation changed (counts only). */
export interface ControlGapOutcome {
  sessionEnded: number;
  replaced: number;
  gainedChannels: number;
}

/**
 * Makes up for the gateway control messages this gateway missed while its control subscription
 * was down (pub/sub keeps nothing): it reads again, from where each word's state is kept, what
 * those words would have said.
 * - `session-ended`: the sockets of sessions Redis marks ended close (4001).
 * - `connections-replaced`: the sockets whose device has a newer socket in the user's socket hash
 *   close (4003).
 * - `members-changed`, `channel-members`: every cached member set and channel role is dropped,
 *   and every socket's channel subscriptions are read again from PostgreSQL
 *   (ChannelSubscriptions.reloadAll: a word arriving meanwhile still wins); a socket that gained a
 *   channel runs a sync round (its messages meanwhile went to nobody here).
 * - `presence-rules`: every socket's presence watches are checked again; presence pushes held
 *   since the drop was seen (`lost`) are then pushed as each user's state is.
 * Each part reads state written before its word was published, and starts after the subscription
 * is back, so a word missed is covered and a word heard since applies as usual.
 */
@Injectable()
export class ControlGapReconciler {
  private readonly logger = new Logger(ControlGapReconciler.name);

  constructor(
    private readonly registry: ConnectionRegistry<ClientConnection>,
    private readonly conversations: ConversationsService,
    private readonly channels: ChannelSubscriptions,
    private readonly presence: PresenceWatchService,
    private readonly sessions: SessionsRepository,
    private readonly admissions: SocketAdmissionRepository,
  ) {}

  /**
   * The subscription was seen to drop: until the gap is made up for, presence pushes are held
   * (a user who hid theirs meanwhile must not be pushed by rules this box has not heard change).
   */
  lost(): void {
    this.presence.holdPushes();
  }

  async reconcile(): Promise<ControlGapOutcome> {
    const started = performance.now();
    const tookMs = () => Math.round(performance.now() - started);
    this.conversations.forgetAllMembers();
    // The three parts read different state and touch different things: side by side.
    const [closed, [gainedChannels, channelsMs], presenceMs] = await Promise.all([
      this.closeEnded(),
      this.resubscribe().then((gained) => [gained, tookMs()] as const),
      this.presence
        .recheckAllAndRelease()
        .catch((err: unknown) => this.logger.warn({ err }, 'presence watches not checked again'))
        .then(tookMs),
    ]);
    const outcome = { ...closed, gainedChannels };
    gapsCounter().inc();
    this.logger.warn(
      { ...outcome, ms: tookMs(), channelsMs, presenceMs },
      'control subscription back: missed control messages made up for',
    );
    return outcome;
  }

  private async closeEnded(): Promise<Pick<ControlGapOutcome, 'sessionEnded' | 'replaced'>> {
    const open = this.registry.all().filter((c) => c.isOpen);
    try {
      const [ended, replaced] = await Promise.all([
        this.sessions.endedAmong([...new Set(open.map((c) => c.sessionId))]),
        this.admissions.replacedAmong(
          open.map((c) => ({ userId: c.userId, connectionId: c.id, deviceId: c.deviceId })),
        ),
      ]);
      let sessionEnded = 0;
      for (const connection of open) {
        if (!ended.has(connection.sessionId)) continue;
        connection.closeSessionEnded();
        sessionEnded += 1;
      }
      for (const id of replaced) {
        this.registry.get(id)?.closeReplaced();
      }
      return { sessionEnded, replaced: replaced.length };
    } catch (err) {
      this.logger.warn({ err }, 'ended sessions and replaced sockets not checked');
      return { sessionEnded: 0, replaced: 0 };
    }
  }

  private async resubscribe(): Promise<number> {
    const gained = await this.channels.reloadAll();
    for (const id of gained) this.registry.get(id)?.pushesLost();
    return gained.length;
  }
}
