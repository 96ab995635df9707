import { ErrorCode, type ServerFrame, TYPING_TTL_MS } from '@parley/protocol';
import WebSocket from 'ws';
import { mapLimit } from './accounts';
import { Histogram } from './histogram';
import {
  emptyPresenceCounters,
  nowMs,
  type PresenceCounters,
  type PresenceStep,
  type PresenceStorm,
  type WorkerAccount,
  type WorkerMessage,
  type WorkerPresence,
} from './ipc';
import {
  conversationPartners,
  type PresenceLayout,
  seedClientMsgId,
  typingSlot,
  watchedUsers,
} from './presence.plan';
import { OpenLoopSchedule } from './schedule';

/**
 * The `presence` workload inside one worker process (worker.ts connects the sockets and hands
 * every decoded frame to `observe`). Setup: each device makes or finds its conversations (one
 * `send` per partner with a fixed idempotency key, its `ack` names the conversation), goes to the
 * foreground and watches its users. A step runs two open-loop schedules: state cycles (background
 * now, foreground `away` later) and typing signals, and counts every frame the sockets get. A storm
 * drops sockets at once, reconnects them, and counts per watched user what each watcher is pushed.
 */
export interface PresenceClient {
  account: WorkerAccount;
  ws?: WebSocket;
}

export interface PresenceHost<C extends PresenceClient> {
  presence: WorkerPresence;
  usernames: readonly string[];
  workerIndex: number;
  /** The worker's devices, one per user, in user order. */
  clients: readonly C[];
  /** The worker's error counts (cleared at a step's start). */
  errors: Record<string, number>;
  countError(code: string): void;
  /** Connects the device (again), with the worker's retries; rejects with an error code. */
  connect(client: C): Promise<void>;
  /** Drops the device's socket without a closing handshake (its close is not an error). */
  drop(client: C): void;
  send(message: WorkerMessage): void;
}

interface DeviceState {
  /** Conversation ids with the partners, by partner rank (undefined: not learnt). */
  conversationIds: Array<string | undefined>;
  /** In the background, in a cycle. */
  away: boolean;
  watchIds: string[];
}

interface SeedWait {
  frame: string;
  resolve: (conversationId: string) => void;
  reject: (error: Error) => void;
  attempts: number;
}

const ANSWER_TIMEOUT_MS = 60_000;
const SEED_ATTEMPTS = 6;

function send(ws: WebSocket | undefined, frame: unknown): boolean {
  if (ws?.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(frame));
  return true;
}

export class PresenceLoad<C extends PresenceClient> {
  private readonly layout: PresenceLayout;
  private readonly states = new Map<C, DeviceState>();
  private readonly seedWaits = new Map<C, Map<string, SeedWait>>();
  private readonly snapshotWaits = new Map<C, (frame: { users: unknown[] }) => void>();
  private counters: PresenceCounters = emptyPresenceCounters();
  private lag = new Histogram();
  private typingLatency = new Histogram();
  private frames: Record<string, number> = {};
  private frameBytes = 0;
  private measuring = false;
  /** Round-robin positions, kept from step to step (a warm-up's users are not the step's first). */
  private cycleCursor = 0;
  private typingCursor = 0;
  /** The storm: per watcher socket, per watched userId, non-snapshot entries since it began. */
  private storm: Map<C, Map<string, number>> | undefined;
  private stormEntries = 0;
  private stormSnapshots = 0;

  constructor(private readonly host: PresenceHost<C>) {
    this.layout = {
      users: host.presence.userIds.length,
      watch: host.presence.watch,
      conversations: host.presence.conversations,
    };
    for (const client of host.clients) {
      this.states.set(client, {
        conversationIds: new Array<string | undefined>(host.presence.conversations),
        away: false,
        watchIds: watchedUsers(this.layout, client.account.index).map(
          (u) => host.presence.userIds[u],
        ),
      });
    }
  }

  /** Every decoded frame of every socket; true when it was presence's to handle. */
  observe(client: C, frame: ServerFrame, bytes: number): boolean {
    if (this.measuring) {
      this.frames[frame.type] = (this.frames[frame.type] ?? 0) + 1;
      this.frameBytes += bytes;
    }
    switch (frame.type) {
      case 'presence':
        this.onPresence(client, frame);
        return true;
      case 'typing':
        this.counters.typingReceived++;
        if (this.measuring)
          this.typingLatency.record(nowMs() - (Date.parse(frame.expiresAt) - TYPING_TTL_MS));
        return true;
      case 'ack': {
        const wait = this.seedWaits.get(client)?.get(frame.clientMsgId);
        if (!wait) return false;
        this.seedWaits.get(client)?.delete(frame.clientMsgId);
        wait.resolve(frame.conversationId);
        return true;
      }
      case 'error': {
        const id = frame.clientMsgId;
        const wait = id ? this.seedWaits.get(client)?.get(id) : undefined;
        if (!wait || !id) return false;
        const retryable =
          frame.code === ErrorCode.RateLimited || frame.code === ErrorCode.Overloaded;
        if (!retryable || ++wait.attempts >= SEED_ATTEMPTS) {
          this.seedWaits.get(client)?.delete(id);
          wait.reject(new Error(`presence_seed_${frame.code}`));
        } else {
          setTimeout(() => client.ws?.send(wait.frame), frame.retryAfterMs ?? 1000);
        }
        return true;
      }
      default:
        return false;
    }
  }

  private onPresence(client: C, frame: Extract<ServerFrame, { type: 'presence' }>): void {
    if (frame.snapshot) {
      this.counters.snapshots++;
      if (this.storm) this.stormSnapshots++;
      const wait = this.snapshotWaits.get(client);
      if (wait) {
        this.snapshotWaits.delete(client);
        wait(frame);
      }
      return;
    }
    this.counters.presenceFrames++;
    this.counters.presenceEntries += frame.users.length;
    for (const u of frame.users) {
      if (u.online === true) this.counters.presenceOnline++;
      else if (u.online === false) this.counters.presenceOffline++;
    }
    if (this.storm) {
      this.stormEntries += frame.users.length;
      let seen = this.storm.get(client);
      if (!seen) this.storm.set(client, (seen = new Map<string, number>()));
      for (const u of frame.users) seen.set(u.userId, (seen.get(u.userId) ?? 0) + 1);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Setup

  /** Every device: its conversations, then foreground and watching. */
  async setup(concurrency: number): Promise<void> {
    const started = nowMs();
    let ready = 0;
    let failed = 0;
    let conversations = 0;
    let snapshotUsers = 0;
    let snapshotOnline = 0;
    await mapLimit([...this.host.clients], concurrency, async (client) => {
      try {
        // (never `x += await …`: the sum would be read before the wait, and lose the others')
        const made = await this.seed(client);
        conversations += made;
        const snapshot = await this.comeOnline(client);
        snapshotUsers += snapshot.length;
        snapshotOnline += snapshot.filter((u) => u.online === true).length;
        ready++;
      } catch (error) {
        failed++;
        this.host.countError(error instanceof Error ? error.message : 'presence_setup_failed');
      }
    });
    this.host.send({
      type: 'presenceReady',
      workerIndex: this.host.workerIndex,
      ready,
      failed,
      conversations,
      snapshotUsers,
      snapshotOnline,
      errors: { ...this.host.errors },
      elapsedMs: nowMs() - started,
    });
  }

  /** Learns the device's conversation ids (one `send` per partner, a fixed key); their count. */
  private async seed(client: C): Promise<number> {
    const state = this.stateOf(client);
    const partners = conversationPartners(this.layout, client.account.index);
    const ids = await Promise.all(
      partners.map((p, j) =>
        state.conversationIds[j] !== undefined
          ? Promise.resolve(state.conversationIds[j])
          : this.sendSeed(client, p),
      ),
    );
    ids.forEach((id, j) => (state.conversationIds[j] = id));
    return ids.length;
  }

  private sendSeed(client: C, partner: number): Promise<string> {
    const clientMsgId = seedClientMsgId(partner);
    const frame = JSON.stringify({
      type: 'send',
      clientMsgId,
      to: this.host.usernames[partner],
      text: `lt presence seed ${client.account.index} to ${partner}`,
      accepted: false,
    });
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.seedWaits.get(client)?.delete(clientMsgId);
        reject(new Error('presence_seed_timeout'));
      }, ANSWER_TIMEOUT_MS);
      let waits = this.seedWaits.get(client);
      if (!waits) this.seedWaits.set(client, (waits = new Map<string, SeedWait>()));
      waits.set(clientMsgId, {
        frame,
        attempts: 0,
        resolve: (id) => {
          clearTimeout(timer);
          resolve(id);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (client.ws?.readyState !== WebSocket.OPEN) {
        this.seedWaits.get(client)?.delete(clientMsgId);
        clearTimeout(timer);
        reject(new Error('socket_not_open'));
        return;
      }
      client.ws.send(frame);
    });
  }

  /** Foreground, then watch; resolves with the snapshot's users. */
  private comeOnline(client: C): Promise<Array<{ online: boolean | null }>> {
    const state = this.stateOf(client);
    state.away = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.snapshotWaits.delete(client);
        reject(new Error('presence_snapshot_timeout'));
      }, ANSWER_TIMEOUT_MS);
      this.snapshotWaits.set(client, (frame) => {
        clearTimeout(timer);
        resolve(frame.users as Array<{ online: boolean | null }>);
      });
      const sent =
        send(client.ws, { type: 'presence.state', state: 'foreground' }) &&
        send(client.ws, { type: 'presence.watch', ref: 'lt-watch', userIds: state.watchIds });
      if (!sent) {
        clearTimeout(timer);
        this.snapshotWaits.delete(client);
        reject(new Error('socket_not_open'));
      }
    });
  }

  private stateOf(client: C): DeviceState {
    const state = this.states.get(client);
    if (!state) throw new Error('presence: a device without state');
    return state;
  }

  // -------------------------------------------------------------------------------------------
  // A step

  step(s: PresenceStep): void {
    this.counters = emptyPresenceCounters();
    for (const key of Object.keys(this.host.errors)) delete this.host.errors[key];
    this.lag.reset();
    this.typingLatency.reset();
    this.frames = {};
    this.frameBytes = 0;
    this.measuring = true;
    const clients = this.host.clients;
    const n = clients.length;
    const sockets = clients.filter((c) => c.ws?.readyState === WebSocket.OPEN).length;
    const durationS = s.durationMs / 1000;
    const cycles = new OpenLoopSchedule(
      s.startAt,
      Math.max(s.cyclesPerSecond, 1e-9),
      n > 0 ? Math.round(s.cyclesPerSecond * durationS) : 0,
    );
    const typing = new OpenLoopSchedule(
      s.startAt,
      Math.max(s.typingPerSecond, 1e-9),
      n > 0 && this.layout.conversations > 0 ? Math.round(s.typingPerSecond * durationS) : 0,
    );
    const returns: NodeJS.Timeout[] = [];

    const cycle = (_k: number, scheduled: number) => {
      const client = clients[this.cycleCursor++ % n];
      const state = this.stateOf(client);
      if (!send(client.ws, { type: 'presence.state', state: 'background' })) {
        this.host.countError('socket_not_open');
        return;
      }
      state.away = true;
      this.counters.toBackground++;
      this.lag.record(nowMs() - scheduled);
      returns.push(
        setTimeout(
          () => {
            state.away = false;
            if (!send(client.ws, { type: 'presence.state', state: 'foreground' })) {
              this.host.countError('socket_not_open');
              return;
            }
            this.counters.toForeground++;
            this.lag.record(nowMs() - (scheduled + s.awayMs));
          },
          Math.max(0, scheduled + s.awayMs - nowMs()),
        ),
      );
    };

    const signal = (_k: number, scheduled: number) => {
      // The next slot whose user is in the foreground and whose conversation is known.
      for (let tries = 0; tries < n; tries++) {
        const { position, j } = typingSlot(this.typingCursor++, n, this.layout.conversations);
        const client = clients[position];
        const state = this.stateOf(client);
        const conversationId = state.conversationIds[j];
        if (state.away || !conversationId || client.ws?.readyState !== WebSocket.OPEN) continue;
        send(client.ws, { type: 'typing', conversationId });
        this.counters.typingSent++;
        this.lag.record(nowMs() - scheduled);
        return;
      }
      this.counters.typingSkipped++;
    };

    // A timer, never a spin (the generator shares the cores with the stack).
    const tick = () => {
      const now = nowMs();
      cycles.sendDue(now, cycle);
      typing.sendDue(now, signal);
      const wait = Math.min(cycles.waitMs(nowMs()), typing.waitMs(nowMs()));
      if (wait === Infinity) return;
      setTimeout(tick, Math.min(Math.max(1, Math.floor(wait)), 50));
    };
    const startIn = s.startAt - nowMs();
    setTimeout(tick, Math.max(0, startIn));

    const progress = setInterval(() => {
      this.counters.errors = Object.values(this.host.errors).reduce((a, b) => a + b, 0);
      this.host.send({
        type: 'presenceProgress',
        workerIndex: this.host.workerIndex,
        counters: { ...this.counters },
      });
    }, 1000);

    setTimeout(
      () => {
        clearInterval(progress);
        this.measuring = false;
        this.counters.errors = Object.values(this.host.errors).reduce((a, b) => a + b, 0);
        this.host.send({
          type: 'presenceResult',
          workerIndex: this.host.workerIndex,
          step: s.step,
          counters: { ...this.counters },
          errors: { ...this.host.errors },
          lag: this.lag.toJSON(),
          typingLatency: this.typingLatency.toJSON(),
          sockets,
          frames: { ...this.frames },
          frameBytes: this.frameBytes,
        });
        // A cycle whose return is still due (a drain shorter than --away) comes back now.
        for (const timer of returns) clearTimeout(timer);
        for (const client of clients) {
          const state = this.stateOf(client);
          if (!state.away) continue;
          state.away = false;
          send(client.ws, { type: 'presence.state', state: 'foreground' });
        }
      },
      Math.max(0, startIn) + s.durationMs + s.drainMs,
    );
  }

  // -------------------------------------------------------------------------------------------
  // The storm

  async stormBegin(s: PresenceStorm): Promise<void> {
    for (const key of Object.keys(this.host.errors)) delete this.host.errors[key];
    const targets = this.host.clients.filter((c) => c.account.index < s.users);
    this.storm = new Map();
    this.stormEntries = 0;
    this.stormSnapshots = 0;
    const started = nowMs();
    for (const client of targets) this.host.drop(client);
    const latency = new Histogram();
    let reconnected = 0;
    let failed = 0;
    let late = 0;
    let last = started;
    await mapLimit(targets, s.concurrency, async (client) => {
      try {
        await this.host.connect(client);
        await this.comeOnline(client);
        last = nowMs();
        latency.record(last - started);
        if (last - started > s.graceMs) late++;
        reconnected++;
      } catch (error) {
        failed++;
        this.host.countError(error instanceof Error ? error.message : 'presence_storm_failed');
      }
    });
    this.host.send({
      type: 'presenceStormReconnected',
      workerIndex: this.host.workerIndex,
      dropped: targets.length,
      reconnected,
      failed,
      late,
      elapsedMs: last - started,
      latency: latency.toJSON(),
      errors: { ...this.host.errors },
    });
  }

  stormEnd(): void {
    const maxPushedPerUser: Record<string, number> = {};
    for (const seen of this.storm?.values() ?? []) {
      for (const [userId, n] of seen)
        maxPushedPerUser[userId] = Math.max(maxPushedPerUser[userId] ?? 0, n);
    }
    this.storm = undefined;
    this.host.send({
      type: 'presenceStormResult',
      workerIndex: this.host.workerIndex,
      maxPushedPerUser,
      entries: this.stormEntries,
      snapshots: this.stormSnapshots,
    });
  }
}
