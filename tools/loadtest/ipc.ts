import type { HistogramJson } from './histogram';

/**
 * Messages between the coordinator (main.ts) and its worker processes (worker.ts), over the
 * child_process IPC channel. Each worker owns a slice of the accounts: their sockets, their share
 * of the send schedule and the counters and histograms of what they saw.
 */
export interface WorkerAccount {
  /** Global index n of lt_<prefix>_<n>. */
  index: number;
  username: string;
  accessToken: string;
}

export interface WorkerInit {
  type: 'init';
  workerIndex: number;
  workers: number;
  gateways: string[];
  accounts: WorkerAccount[];
  /** Every username of the run, by index (recipients of `send ... to`). */
  usernames: string[];
  userPrefix: string;
  /** Unique per run, so clientMsgIds never collide with an earlier run's (idempotency keys). */
  runTag: string;
  /** Devices (sockets) per account: pairs uses 1; connect may use more. */
  devicesPerAccount: number;
  /** Total sockets this worker opens (connect: the slice of --connections). */
  connections: number;
  /** Concurrent connects in flight per worker, and an optional target rate (connects/s, per worker). */
  connectConcurrency: number;
  connectRate: number;
  /** pairs: fetch offline messages (`sync` until done) after hello, like a real client. */
  syncOnConnect: boolean;
  /** pairs: each user talks only to this many fixed partners (0 = any other user). */
  partners: number;
  /** groups: the conversations and who sends (absent for pairs and connect). */
  groups?: WorkerGroups;
  /** Whether devices report their delivered cursors once a second, as clients do (`--no-cursors`: not). */
  reportCursors: boolean;
  /**
   * Whether devices open their sockets directly on their gateway with the access token (`--direct`),
   * asking the directory only when the gateway answers 421; otherwise directory ticket first.
   */
  directConnect: boolean;
  /** presence: who watches whom and who types where (absent for the other workloads). */
  presence?: WorkerPresence;
}

/**
 * The `presence` workload as a worker sees it (tools/loadtest/presence.plan.ts): every user's id
 * by index (the watch lists name users by id), how many each watches and how many conversations
 * each holds with the next users on the ring.
 */
export interface WorkerPresence {
  userIds: string[];
  watch: number;
  conversations: number;
}

/**
 * The `groups` workload as a worker sees it. The coordinator hands out only the ONLINE members'
 * accounts, group by group: account position p (WorkerAccount.index) is member `p % online` of
 * group `floor(p / online)`; the first `senders` members of each group send (a group: every
 * online member; a channel: its admins).
 */
export interface WorkerGroups {
  kind: 'group' | 'channel';
  /** conversationId of each group, by group index. */
  conversationIds: string[];
  /** Online members per group (sockets). */
  online: number;
  /** Members per group who send (the first ones of each group). */
  senders: number;
}

export interface WorkerStep {
  type: 'step';
  step: number;
  /** This worker's share of the offered rate, msgs/s. */
  rate: number;
  /** Epoch ms at which the schedule starts (the same for every worker). */
  startAt: number;
  durationMs: number;
  drainMs: number;
  /** Message text length (characters). */
  textLength: number;
  /** Whether sends ask for the \`accepted\` frame (false: \`accepted: false\`, the ack alone). */
  acceptedFrames: boolean;
}

/** Connect this worker's clients up to `share` (0-1] of its `connections`, continuing from before. */
export interface WorkerConnect {
  type: 'connect';
  share: number;
}

/** Close every socket (the devices keep their conversation states) and connect from the first again. */
export interface WorkerDisconnect {
  type: 'disconnect';
}

/**
 * presence, once after the connects: every device makes (or finds) its conversations, goes to the
 * foreground and watches its users; answered with `presenceReady` once every snapshot came.
 */
export interface PresenceSetup {
  type: 'presenceSetup';
  /** Devices set up at once per worker. */
  concurrency: number;
}

/** presence: one step of state cycles and typing signals (answered with `presenceResult`). */
export interface PresenceStep {
  type: 'presenceStep';
  step: number;
  startAt: number;
  durationMs: number;
  drainMs: number;
  /** Cycles (background now, foreground `awayMs` later) this worker starts per second. */
  cyclesPerSecond: number;
  awayMs: number;
  /** Typing signals this worker sends per second. */
  typingPerSecond: number;
}

/**
 * presence: drop the sockets of the worker's users below `users` at once (no closing handshake),
 * reconnect them (foreground, watch again) and count from now, per watched user, the changes each
 * watcher is pushed; answered with `presenceStormReconnected` once they are all back.
 */
export interface PresenceStorm {
  type: 'presenceStorm';
  users: number;
  concurrency: number;
  /** Presence's offline grace: devices back later than this are counted as `late`. */
  graceMs: number;
}

/** presence: stop counting the storm and answer with `presenceStormResult`. */
export interface PresenceStormEnd {
  type: 'presenceStormEnd';
}

export type CoordinatorMessage =
  | WorkerInit
  | WorkerConnect
  | WorkerDisconnect
  | WorkerStep
  | PresenceSetup
  | PresenceStep
  | PresenceStorm
  | PresenceStormEnd
  | { type: 'close' };

export interface Counters {
  sent: number;
  accepted: number;
  acked: number;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  /** `receipt` frames received (the other members' cursor moves pushed to senders). */
  receipts: number;
  /** groups: deliveries that came in a sync round after a `sync.required`, not live. */
  resynced: number;
  errors: number;
}

export interface ConnectResult {
  type: 'connected';
  workerIndex: number;
  connected: number;
  failed: number;
  /** ws URL → sockets that landed there. */
  byUrl: Record<string, number>;
  errors: Record<string, number>;
  /** From the first connect started to the last hello, ms. */
  elapsedMs: number;
  latency: HistogramJson;
}

export interface StepProgress {
  type: 'progress';
  workerIndex: number;
  counters: Counters;
}

export interface StepResult {
  type: 'stepResult';
  workerIndex: number;
  step: number;
  counters: Counters;
  errors: Record<string, number>;
  ack: HistogramJson;
  delivery: HistogramJson;
  /** How late each send went out relative to its scheduled time. */
  lag: HistogramJson;
  /** Message numbers this worker sent and got an `ack` for. */
  ackedIds: number[];
  /** Message numbers (of this step) this worker's recipients got, first delivery only. */
  deliveredIds: number[];
  /** Epoch ms of the last ack of the step's messages (0 if none). */
  lastAckAt: number;
  unacked: number;
  /** groups: the group each of `ackedIds` was sent to (same order). */
  ackedGroups?: number[];
  /** groups: first deliveries (per socket) of each of `deliveredIds` (same order). */
  deliveredCounts?: number[];
  /** groups: sockets of this worker open at the step's start, per group. */
  onlineByGroup?: number[];
  /** groups: epoch ms of the last first delivery of the step's messages (0 if none). */
  lastDeliveryAt?: number;
  /** Frames the worker's sockets received over step and drain, by type, and their bytes. */
  frames?: Record<string, number>;
  frameBytes?: number;
}

export interface PresenceReady {
  type: 'presenceReady';
  workerIndex: number;
  /** Devices in the foreground and watching (their snapshot came). */
  ready: number;
  failed: number;
  /** Conversations whose id an `ack` gave (made now, or found by a rerun's same key). */
  conversations: number;
  /** Users the snapshots listed, and those of them online. */
  snapshotUsers: number;
  snapshotOnline: number;
  errors: Record<string, number>;
  elapsedMs: number;
}

/** What one worker's sockets sent and saw over a presence step and its drain. */
export interface PresenceCounters {
  /** `presence.state` frames sent: to the background, to the foreground. */
  toBackground: number;
  toForeground: number;
  /** `typing` frames sent, and due ones left out (no conversation, or the socket not open). */
  typingSent: number;
  typingSkipped: number;
  /** `presence` frames that were not a snapshot, and the users they carried (online / offline). */
  presenceFrames: number;
  presenceEntries: number;
  presenceOnline: number;
  presenceOffline: number;
  /** Snapshot `presence` frames (answers to `presence.watch`). */
  snapshots: number;
  /** `typing` frames received. */
  typingReceived: number;
  errors: number;
}

export function emptyPresenceCounters(): PresenceCounters {
  return {
    toBackground: 0,
    toForeground: 0,
    typingSent: 0,
    typingSkipped: 0,
    presenceFrames: 0,
    presenceEntries: 0,
    presenceOnline: 0,
    presenceOffline: 0,
    snapshots: 0,
    typingReceived: 0,
    errors: 0,
  };
}

export interface PresenceProgress {
  type: 'presenceProgress';
  workerIndex: number;
  counters: PresenceCounters;
}

export interface PresenceResult {
  type: 'presenceResult';
  workerIndex: number;
  step: number;
  counters: PresenceCounters;
  errors: Record<string, number>;
  /** How late each toggle and typing signal went out relative to its schedule. */
  lag: HistogramJson;
  /** A `typing` frame's arrival after the signal (its expiresAt less TYPING_TTL_MS). */
  typingLatency: HistogramJson;
  /** Sockets open at the step's start. */
  sockets: number;
  frames: Record<string, number>;
  frameBytes: number;
}

export interface PresenceStormReconnected {
  type: 'presenceStormReconnected';
  workerIndex: number;
  dropped: number;
  reconnected: number;
  failed: number;
  /** Devices back (foreground, watching) later than the grace after the drop. */
  late: number;
  /** From the drop to the last device back (foreground, watching), ms. */
  elapsedMs: number;
  /** Drop to hello (+ sync) + snapshot, per device. */
  latency: HistogramJson;
  errors: Record<string, number>;
}

export interface PresenceStormResult {
  type: 'presenceStormResult';
  workerIndex: number;
  /** userId -> the most non-snapshot entries about that user one of this worker's sockets got. */
  maxPushedPerUser: Record<string, number>;
  /** Every non-snapshot entry received since the storm began. */
  entries: number;
  snapshots: number;
}

export type WorkerMessage =
  | { type: 'ready'; workerIndex: number }
  | { type: 'disconnected'; workerIndex: number }
  | ConnectResult
  | StepProgress
  | StepResult
  | PresenceReady
  | PresenceProgress
  | PresenceResult
  | PresenceStormReconnected
  | PresenceStormResult
  | { type: 'fatal'; workerIndex: number; message: string };

export function emptyCounters(): Counters {
  return {
    sent: 0,
    accepted: 0,
    acked: 0,
    delivered: 0,
    duplicates: 0,
    outOfOrder: 0,
    receipts: 0,
    resynced: 0,
    errors: 0,
  };
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
