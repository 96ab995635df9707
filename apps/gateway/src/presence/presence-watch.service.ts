import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type PresenceChange, RedisKeys } from '@parley/common';
import type { PresenceFrame, UserPresence } from '@parley/protocol';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import { MessagingException } from '../errors/messaging.exception';
import type { ClientConnection } from '../realtime/client-connection';
import { retryAfter, ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import { PresenceChannels } from './presence-channels';
import { PresenceRulesRepository } from './presence-rules.repository';
import { PresenceStateReader, type PresenceState } from './presence-state.reader';
import { WatchIndex } from './watch-index';

function hidden(userId: string): UserPresence {
  return { userId, online: null, lastSeenAt: null };
}

function shown(userId: string, state: PresenceState | undefined): UserPresence {
  return { userId, online: state?.online ?? false, lastSeenAt: state?.lastSeenAt ?? null };
}

/** Sockets whose watches one rules query checks again (20 watched users each: 10,000 pairs). */
const RECHECK_CHUNK = 500;
/** Users whose state one `refreshAll` step reads. */
const REFRESH_CHUNK = 500;
/** The longest presence pushes are held for want of word of changed rules. */
const HOLD_MAX_MS = 30_000;

/**
 * Presence as a user may see it, enforced here (never by clients): each watched user is checked
 * against both users' choices (PresenceRulesRepository) before anything of it is read or sent.
 * - `presence.watch`: the socket's watch list is replaced, this box hears the channels of the
 *   users the socket may see (PresenceChannels) BEFORE their state is read, and the socket gets a
 *   snapshot; then each change is pushed to the sockets here that see that user.
 * - A socket that closes stops watching (ConnectionLifecycle).
 * - A user whose choice or contacts changed (`presence-rules` on gateway control): the sockets
 *   here watching them, or theirs, are checked again; what became hidden is pushed as hidden,
 *   what became visible with its state.
 * - `GET /v1/presence`: the same answer as a snapshot, once.
 */
@Injectable()
export class PresenceWatchService implements OnModuleInit {
  private readonly logger = new Logger(PresenceWatchService.name);
  private readonly index = new WatchIndex();
  /** For each read of states in flight: the users whose changes were heard meanwhile. */
  private readonly heardDuringReads = new Set<Set<string>>();
  /** While word of changed rules may be missing: the users whose changes were held. */
  private held?: Set<string>;
  private holdTimer?: NodeJS.Timeout;

  constructor(
    private readonly rules: PresenceRulesRepository,
    private readonly states: PresenceStateReader,
    private readonly channels: PresenceChannels,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    private readonly lifecycle: ConnectionLifecycle,
    private readonly throttle: ThrottleCountersRepository,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'PRESENCE_READS_PER_MINUTE'>,
  ) {}

  onModuleInit(): void {
    this.channels.listen((change) => this.push(change));
    this.channels.onHeardAgain(
      () =>
        void this.refreshAll().catch((err: unknown) =>
          this.logger.warn({ err }, 'presence not read again'),
        ),
    );
    this.lifecycle.onClosed((connectionId) => {
      const { subscribe, unsubscribe } = this.index.drop(connectionId);
      this.follow(subscribe, unsubscribe);
    });
  }

  /** `presence.watch`: replaces the socket's list and answers with a snapshot. */
  async watch(
    connection: ClientConnection,
    userIds: readonly string[],
    ref?: string,
  ): Promise<void> {
    const unique = [...new Set(userIds)];
    const visible = await this.rules.visibleTo(connection.userId, unique);
    if (!this.registry.get(connection.id)) return; // closed meanwhile
    const { subscribe, unsubscribe } = this.index.set(
      connection.id,
      new Map(unique.map((id) => [id, visible.has(id)])),
    );
    await this.channels.follow(subscribe, unsubscribe);
    const users = await this.presenceOf(unique, visible);
    const frame: PresenceFrame = {
      type: 'presence',
      ...(ref !== undefined ? { ref } : {}),
      snapshot: true,
      users,
    };
    connection.send(frame);
  }

  /** `GET /v1/presence`: each user's presence as `viewerId` may see it. */
  async read(viewerId: string, userIds: readonly string[]): Promise<UserPresence[]> {
    const [reads] = await this.throttle.hit([RedisKeys.throttle('presence', viewerId)], 60);
    if (reads.count > this.config.PRESENCE_READS_PER_MINUTE) {
      throw MessagingException.rateLimited(
        retryAfter(reads.ttlSeconds, 60) * 1000,
        'Too many presence reads',
      );
    }
    const unique = [...new Set(userIds)];
    return this.presenceOf(unique, await this.rules.visibleTo(viewerId, unique));
  }

  /** These users' choices or contacts changed: the sockets here involved are checked again. */
  async rulesChanged(userIds: readonly string[]): Promise<void> {
    const changed = new Set(userIds);
    const affected = new Set(this.index.socketsWatchingAny(changed));
    for (const connection of this.registry.all()) {
      if (changed.has(connection.userId) && this.index.watchedBy(connection.id).size > 0) {
        affected.add(connection.id);
      }
    }
    await this.recheck([...affected]);
  }

  /**
   * Word of changed rules may have been missed (a gap in the control channel): every socket here
   * that watches anyone is checked again.
   */
  async recheckAll(): Promise<void> {
    await this.recheck(
      this.registry
        .all()
        .filter((c) => this.index.watchedBy(c.id).size > 0)
        .map((c) => c.id),
    );
  }

  /**
   * Changes published while this box's presence channels were not heard are lost: every user a
   * socket here sees is read again (REFRESH_CHUNK at a time) and each socket gets, in one frame,
   * the state of the users it sees. A user whose change is heard while the read is in flight is
   * left out: that change was pushed already and is newer than the read. During a hold, the read
   * waits for its end.
   */
  async refreshAll(): Promise<void> {
    const started = performance.now();
    const users = this.index.heard();
    if (this.held) {
      for (const userId of users) this.held.add(userId);
    } else {
      await this.pushStatesOf(users);
    }
    this.logger.warn(
      { users: users.length, ms: Math.round(performance.now() - started), held: !!this.held },
      'presence heard again: watched users read again',
    );
  }

  /**
   * Word of changed rules may be missing from now on (this box's control subscription dropped):
   * who may see whom here can be stale, so changes are held, not pushed, until
   * `recheckAllAndRelease`, or for HOLD_MAX_MS at most (then that runs by itself).
   */
  holdPushes(): void {
    if (this.held) return;
    this.held = new Set();
    this.holdTimer = setTimeout(() => {
      this.logger.warn('presence held too long: watches checked again, pushes resumed');
      void this.recheckAllAndRelease().catch((err: unknown) =>
        this.logger.warn({ err }, 'held presence not pushed'),
      );
    }, HOLD_MAX_MS);
    this.holdTimer.unref();
  }

  /**
   * The end of a gap in word of rules: every watch is checked again, then the hold (if any) ends,
   * each held user's state pushed to the sockets that see them now.
   */
  async recheckAllAndRelease(): Promise<void> {
    try {
      await this.recheckAll();
    } finally {
      await this.releasePushes();
    }
  }

  private async releasePushes(): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    clearTimeout(this.holdTimer);
    await this.pushStatesOf([...held]);
  }

  /** Reads these users' states and sends each socket here, in one frame, those of the users it sees. */
  private async pushStatesOf(users: readonly string[]): Promise<void> {
    for (let i = 0; i < users.length; i += REFRESH_CHUNK) {
      const chunk = users.slice(i, i + REFRESH_CHUNK);
      const heardMeanwhile = new Set<string>();
      this.heardDuringReads.add(heardMeanwhile);
      let states: Map<string, PresenceState>;
      try {
        states = await this.states.read(chunk);
      } finally {
        this.heardDuringReads.delete(heardMeanwhile);
      }
      const bySocket = new Map<string, UserPresence[]>();
      for (const userId of chunk) {
        if (heardMeanwhile.has(userId)) continue;
        const presence = shown(userId, states.get(userId));
        for (const connectionId of this.index.socketsSeeing(userId)) {
          let list = bySocket.get(connectionId);
          if (!list) bySocket.set(connectionId, (list = []));
          list.push(presence);
        }
      }
      for (const [connectionId, list] of bySocket) {
        this.registry.get(connectionId)?.send({ type: 'presence', users: list });
      }
    }
  }

  /**
   * Checks these sockets' watches against the rules again, RECHECK_CHUNK sockets per query: what
   * became hidden is pushed as hidden, what became visible with its state. A socket whose watch
   * list was replaced while its rules were read is left alone (its new watch read them itself).
   */
  private async recheck(connectionIds: readonly string[]): Promise<void> {
    for (let i = 0; i < connectionIds.length; i += RECHECK_CHUNK) {
      const chunk: { connection: ClientConnection; before: ReadonlyMap<string, boolean> }[] = [];
      const asked = new Map<string, Set<string>>();
      for (const connectionId of connectionIds.slice(i, i + RECHECK_CHUNK)) {
        const connection = this.registry.get(connectionId);
        const before = this.index.watchedBy(connectionId);
        if (!connection || before.size === 0) continue;
        chunk.push({ connection, before });
        let targets = asked.get(connection.userId);
        if (!targets) asked.set(connection.userId, (targets = new Set()));
        for (const userId of before.keys()) targets.add(userId);
      }
      let visibleBy: Map<string, Set<string>>;
      try {
        visibleBy = await this.rules.visibleAmong(asked);
      } catch (err) {
        this.logger.warn({ err, sockets: chunk.length }, 'presence watches not checked again');
        continue;
      }
      await Promise.all(
        chunk.map(({ connection, before }) =>
          this.applyRules(connection, before, visibleBy.get(connection.userId) ?? new Set()).catch(
            (err: unknown) =>
              this.logger.warn(
                { err, connectionId: connection.id },
                'presence watch not checked again',
              ),
          ),
        ),
      );
    }
  }

  private async applyRules(
    connection: ClientConnection,
    before: ReadonlyMap<string, boolean>,
    visible: ReadonlySet<string>,
  ): Promise<void> {
    if (this.index.watchedBy(connection.id) !== before || !this.registry.get(connection.id)) {
      return;
    }
    const watched = [...before.keys()];
    const after = new Map(watched.map((id) => [id, visible.has(id)]));
    const flipped = watched.filter((id) => before.get(id) !== after.get(id));
    if (flipped.length === 0) return;
    const { subscribe, unsubscribe } = this.index.set(connection.id, after);
    await this.channels.follow(subscribe, unsubscribe);
    connection.send({ type: 'presence', users: await this.presenceOf(flipped, visible) });
  }

  private async presenceOf(
    userIds: readonly string[],
    visible: ReadonlySet<string>,
  ): Promise<UserPresence[]> {
    const states = await this.states.read(userIds.filter((id) => visible.has(id)));
    return userIds.map((id) => (visible.has(id) ? shown(id, states.get(id)) : hidden(id)));
  }

  /** A change from presence: to every socket here that sees the user. */
  private push(change: PresenceChange): void {
    for (const heard of this.heardDuringReads) heard.add(change.userId);
    if (this.held) {
      // Pushed, as its state then, once the hold ends (a user only this box's watches hear).
      this.held.add(change.userId);
      return;
    }
    const sockets = this.index.socketsSeeing(change.userId);
    if (sockets.size === 0) return;
    const text = JSON.stringify({
      type: 'presence',
      users: [
        {
          userId: change.userId,
          online: change.online,
          lastSeenAt: change.seen === null ? null : new Date(change.seen).toISOString(),
        },
      ],
    } satisfies PresenceFrame);
    for (const connectionId of sockets) this.registry.get(connectionId)?.sendText(text);
  }

  private follow(subscribe: readonly string[], unsubscribe: readonly string[]): void {
    if (subscribe.length === 0 && unsubscribe.length === 0) return;
    this.channels
      .follow(subscribe, unsubscribe)
      .catch((err: unknown) => this.logger.warn({ err }, 'presence channels not followed'));
  }
}
