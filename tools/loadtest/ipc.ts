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

export type CoordinatorMessage =
  WorkerInit | WorkerConnect | WorkerDisconnect | WorkerStep | { type: 'close' };

export interface Counters {
  sent: number;
  accepted: number;
  acked: number;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  /** `receipt` frames received (the other members' cursor moves pushed to senders). */
  receipts: number;
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
}

export type WorkerMessage =
  | { type: 'ready'; workerIndex: number }
  | { type: 'disconnected'; workerIndex: number }
  | ConnectResult
  | StepProgress
  | StepResult
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
    errors: 0,
  };
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
