import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type PresenceDevice } from '@parley/common';
import type { PresenceConfig } from '../config/presence.config';
import { decideOnline, planDeviceChanges } from './device-presence.plan';
import { LivePresenceStore } from './live-presence.store';
import type {
  AccountEventEnvelope,
  ActivityEventEnvelope,
  ConnectionEventEnvelope,
} from './presence-events';
import { LastSeen, PresenceRepository } from './presence.repository';

/** Offlines taken per sweep at most (the rest in the next). */
const SWEEP_BATCH = 500;

type PresenceSettings = Pick<
  PresenceConfig,
  | 'PRESENCE_OFFLINE_GRACE_MS'
  | 'PRESENCE_WRITE_INTERVAL_MS'
  | 'PRESENCE_RECONNECTS_PER_S'
  | 'PRESENCE_MAX_HOLD_MS'
>;

/**
 * Online and last seen. The live state is in Redis (LivePresenceStore), where changing it is
 * cheap; PostgreSQL (`user_presence`) gets last seen coalesced: when a user goes offline, and at
 * most every PRESENCE_WRITE_INTERVAL_MS while active, one statement per batch.
 * - Devices (parley.connections.v1): a user is online while a socket is in the foreground on a
 *   gateway that still holds it. Going online is told at once; going offline after
 *   PRESENCE_OFFLINE_GRACE_MS, unless a device comes back (a flapping network, a failover).
 * - Activity (parley.activity.v1, and log-ins and registrations): last seen moves.
 * - The sweeper: offlines whose grace ran out, and gateways that died or restarted (their sockets
 *   never closed): their users are decided again.
 */
@Injectable()
export class PresenceService {
  private readonly logger = new Logger(PresenceService.name);

  constructor(
    private readonly live: LivePresenceStore,
    private readonly lastSeen: PresenceRepository,
    @Inject(APP_CONFIG) private readonly config: PresenceSettings,
  ) {}

  /** A batch of connection events: the sockets, then each user touched decided again. */
  async applyConnections(events: readonly ConnectionEventEnvelope[]): Promise<number> {
    const { writes, removals, users } = planDeviceChanges(events);
    await this.live.applyDevices(writes, removals);
    await this.decide(users, removals);
    // A device brought to the front by its user: last seen moves, after the state (so an
    // offline user's watchers are told online, not first a new last seen).
    const active: { userId: string; at: number }[] = [];
    for (const e of events) {
      if (e.type === 'connection.state-changed' && e.payload.active === true) {
        active.push({ userId: e.payload.userId, at: Date.parse(e.payload.at) });
      }
    }
    if (active.length > 0) await this.noteActivity(latestPerUser(active));
    return users.length;
  }

  /** User activity (coalesced by the gateways): last seen moves; one write for the batch. */
  async applyActivity(events: readonly ActivityEventEnvelope[]): Promise<number> {
    return this.noteActivity(
      latestPerUser(
        events.flatMap((e) =>
          e.payload.users.map((u) => ({ userId: u.userId, at: Date.parse(u.at) })),
        ),
      ),
    );
  }

  /** Registering and logging in are the user's doing: last seen moves. Logging out is not activity. */
  async applyAccountEvents(events: readonly AccountEventEnvelope[]): Promise<number> {
    const activity: { userId: string; at: number }[] = [];
    for (const e of events) {
      if (e.type === 'account.registered')
        activity.push({ userId: e.payload.userId, at: Date.parse(e.time) });
      else if (e.type === 'account.logged-in')
        activity.push({ userId: e.payload.userId, at: Date.parse(e.payload.at) });
    }
    return this.noteActivity(latestPerUser(activity));
  }

  /** Offlines whose grace ran out, and the users of gateways that died or restarted. */
  async sweep(now = Date.now()): Promise<{ offline: number; gatewaysGone: number }> {
    const gatewaysGone = await this.sweepGateways();
    // A reconnect storm (more offlines begun than the cluster takes back in a second): due
    // offlines wait for it to drain, but none longer than PRESENCE_MAX_HOLD_MS past its grace.
    const storm = (await this.live.stormLevel(now)) > this.config.PRESENCE_RECONNECTS_PER_S;
    const due = await this.live.dueOffline(
      storm ? now - this.config.PRESENCE_MAX_HOLD_MS : now,
      SWEEP_BATCH,
    );
    if (due.length === 0) return { offline: 0, gatewaysGone };
    // A device may have come back since the offline was scheduled: decide from the devices.
    const stillOnline = await this.decide(due, [], { schedule: false });
    const writes: LastSeen[] = [];
    let offline = 0;
    await Promise.all(
      due
        .filter((userId) => !stillOnline.has(userId))
        .map(async (userId) => {
          const seen = await this.live.commitOffline(userId, now);
          if (seen === undefined) return;
          offline++;
          if (seen !== null) writes.push({ userId, lastSeenAt: new Date(seen) });
        }),
    );
    await this.lastSeen.upsertLastSeen(writes);
    return { offline, gatewaysGone };
  }

  private async noteActivity(activity: readonly { userId: string; at: number }[]): Promise<number> {
    const now = Date.now();
    // Never in the future: a gateway's clock ahead of ours must not hold last seen up.
    const due = await this.live.noteActivity(
      activity.map(({ userId, at }) => ({ userId, at: Math.min(at, now) })),
      now,
      this.config.PRESENCE_WRITE_INTERVAL_MS,
    );
    await this.lastSeen.upsertLastSeen(
      due.map(({ userId, at }) => ({ userId, lastSeenAt: new Date(at) })),
    );
    return activity.length;
  }

  /**
   * Decides users from their sockets now: stale sockets are forgotten, users with none left on a
   * gateway leave its set, and each user's state is committed (`schedule: false`: only cancels a
   * pending offline, for the sweeper). Answers the users found online.
   */
  private async decide(
    userIds: readonly string[],
    closed: readonly { userId: string; gatewayId: string }[],
    { schedule = true }: { schedule?: boolean } = {},
  ): Promise<Set<string>> {
    const online = new Set<string>();
    if (userIds.length === 0) return online;
    const [devices, { life }] = await Promise.all([
      this.live.devicesOf(userIds),
      this.live.gateways(),
    ]);
    const cold = [...life.values()].every((g) => g === null);
    const stale: { userId: string; connectionId: string }[] = [];
    const now = Date.now();
    const commits: Promise<boolean>[] = [];
    for (const userId of userIds) {
      const held = devices.get(userId) ?? new Map<string, PresenceDevice>();
      const decision = decideOnline(held, life, cold);
      for (const connectionId of decision.stale) stale.push({ userId, connectionId });
      if (decision.online) online.add(userId);
      if (decision.online || schedule) {
        commits.push(
          this.live.commitState(
            userId,
            decision.online,
            now,
            this.config.PRESENCE_OFFLINE_GRACE_MS,
          ),
        );
      }
    }
    await Promise.all(commits);
    await this.live.forgetDevices(stale);
    await this.leaveGateways(devices, closed, stale);
    return online;
  }

  /** Users whose last socket on a gateway closed (or went stale) leave that gateway's set. */
  private async leaveGateways(
    devices: ReadonlyMap<string, ReadonlyMap<string, { gatewayId: string }>>,
    closed: readonly { userId: string; gatewayId: string }[],
    stale: readonly { userId: string; connectionId: string }[],
  ): Promise<void> {
    const staleIds = new Set(stale.map((s) => s.connectionId));
    const candidates = new Map<string, Set<string>>();
    const add = (gatewayId: string, userId: string) => {
      let users = candidates.get(gatewayId);
      if (!users) candidates.set(gatewayId, (users = new Set()));
      users.add(userId);
    };
    for (const c of closed) add(c.gatewayId, c.userId);
    for (const s of stale) {
      const gatewayId = devices.get(s.userId)?.get(s.connectionId)?.gatewayId;
      if (gatewayId) add(gatewayId, s.userId);
    }
    for (const [gatewayId, users] of candidates) {
      const leaving = [...users].filter((userId) =>
        [...(devices.get(userId) ?? new Map<string, { gatewayId: string }>()).entries()].every(
          ([connectionId, d]) => d.gatewayId !== gatewayId || staleIds.has(connectionId),
        ),
      );
      await this.live.leaveGateway(gatewayId, leaving);
    }
  }

  /** Gateways that left the directory, or restarted since last checked: their users decided again. */
  private async sweepGateways(): Promise<number> {
    const { known, life } = await this.live.gateways();
    const anyLive = [...life.values()].some((g) => g !== null);
    if (!anyLive) return 0; // a cold directory: nothing is judged dead
    let gone = 0;
    for (const [gatewayId, checkedStart] of known) {
      const now = life.get(gatewayId) ?? null;
      if (now !== null && now.startedAt === checkedStart) continue;
      const users = await this.live.usersOn(gatewayId);
      await this.decide(users, []);
      await this.live.forgetGateway(gatewayId, now === null ? null : now.startedAt);
      if (now === null) {
        gone++;
        this.logger.log({ gatewayId, users: users.length }, 'gateway gone: its sockets forgotten');
      }
    }
    return gone;
  }
}

/** One entry per user with the latest of its times. */
export function latestPerUser(
  activity: readonly { userId: string; at: number }[],
): { userId: string; at: number }[] {
  const latest = new Map<string, number>();
  for (const { userId, at } of activity) {
    if (!Number.isFinite(at)) continue;
    if (at > (latest.get(userId) ?? Number.NEGATIVE_INFINITY)) latest.set(userId, at);
  }
  return [...latest].map(([userId, at]) => ({ userId, at }));
}
