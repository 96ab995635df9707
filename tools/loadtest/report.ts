import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LatencySummary } from './histogram';
import type { PresenceCounters } from './ipc';
import type { RedisPublishTally } from './hop-events';
import type { HopSummary } from './hop-trace';
import type { ImageUploadReport } from './image-uploads';
import { type DiskFlushSummary, SLOW_FLUSH_MS } from './disk-flush-probe';
import type { MachineProbe } from './machine-probe';
import type { TableWrites } from './pg-stats';
import {
  ACTIVITY_TOPIC,
  type ChangesPerUser,
  CONNECTIONS_TOPIC,
  TYPING_TOPIC,
} from './presence.plan';
import type { CpuPerConnect, IoCallsPerUnit, MachineShares, ProcessStat } from './process-stats';
import type { SyncMeasurement, SyncReport } from './sync.workload';

/** The fields every open-loop step report has, measured the same way (tools/loadtest/steps.ts). */
export interface OpenLoopStepReport {
  /** A warm-up step (`--warmup`): reported, not judged. */
  warmup?: boolean;
  step: number;
  startedAt: string;
  workers: number;
  gateways: string[];
  offeredRate: number;
  durationS: number;
  drainS: number;
  sent: number;
  accepted: number;
  acked: number;
  /** Acks of the step's messages per second (durable messages/s). */
  achievedRate: number;
  /** Sent but neither acked nor refused by the end of the drain. */
  unacked: number;
  duplicates: number;
  outOfOrder: number;
  /** `receipt` frames the step's devices received (over step and drain). */
  receipts: number;
  ackLatencyMs: LatencySummary;
  /** How late the generator sent each message relative to its schedule. */
  scheduleLagMs: LatencySummary;
  errors: Record<string, number>;
  generatorCpuPercent: number;
  generatorBehind: boolean;
  /** Per hop of the message path: ms from the gateway accepting a send (the services' /metrics). */
  hops: HopSummary[];
  passed: boolean;
  failReasons: string[];
  processes: ProcessStat[];
}

/** What one step of `pairs` measured: printed as a table and written as one JSON line. */
export interface PairsStepReport extends OpenLoopStepReport, MachineShares {
  workload: 'pairs';
  users: number;
  delivered: number;
  /** Acked (durable) but never delivered to the recipient by the end of the drain. */
  lost: number;
  /** Of `delivered`: those that came in a sync round after a `sync.required`, not as a live push. */
  resynced: number;
  deliveryLatencyMs: LatencySummary;
  /**
   * The headline cost: CPU milliseconds of every stack process (not the generator) over the step
   * and its drain, divided by the messages delivered; null when none were.
   */
  stackCpuMsPerMessage: number | null;
  /**
   * Each process's read and write calls over the step and its drain per delivered message
   * (IoCalls: sockets for Node, the broker and Redis; file I/O only for PostgreSQL), and the times
   * its threads were put on a core (each wake-up): a count of frames, requests and cycles per
   * message that the machine's speed does not move.
   */
  ioCallsPerMessage?: IoCallsPerUnit[];
  /** `images`: the photo uploads run beside this step (absent: the step ran alone). */
  uploads?: ImageUploadReport;
}

/**
 * One gateway's memory per idle socket: its RSS right after a full garbage collection once the
 * first tenth of the sockets are open (`rssBeforeMiB`, the warm baseline) and after all are open
 * and held (`rssAfterMiB`), over the sockets that landed on it in between (`connections`).
 */
export interface GatewayMemory {
  gateway: string;
  connections: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** (rss after - rss before) / connections on that gateway; null when no socket landed there. */
  bytesPerConnection: number | null;
  /** The same from V8's live heap plus external memory (null when a reading lacks them). */
  liveBytesPerConnection: number | null;
}

export interface ConnectReport {
  workload: 'connect';
  /** `new` devices fetch every tail in their first sync; `returning` ones sum up what they hold. */
  devices: 'new' | 'returning';
  startedAt: string;
  users: number;
  workers: number;
  gateways: string[];
  requested: number;
  connected: number;
  failed: number;
  elapsedS: number;
  /** Connections per second: directory ticket + WebSocket handshake + hello. */
  connectRate: number;
  connectLatencyMs: LatencySummary;
  errors: Record<string, number>;
  /** Sockets opened before the memory baseline was read (the first tenth). */
  baselineConnections: number;
  memory: GatewayMemory[];
  generatorCpuPercent: number;
  /** CPU per connect over the ramp (every process sampled over it, divided by the connects). */
  cpuPerConnect?: CpuPerConnect;
  processes: ProcessStat[];
  /** Every process while the sockets were held idle (after HOLD_SETTLE_S), and the stack's sum. */
  holdProcesses: ProcessStat[];
  holdStackCpuPercent: number;
  holdSeconds: number;
  /** The same hold cut into windows (HOLD_WINDOW_S): how the idle cost settles after a start. */
  holdWindows?: HoldWindow[];
  /** What the machine did beside the sampled processes over the ramp, and over the hold. */
  machine?: MachineShares;
  holdMachine?: MachineShares;
}

/** The stack's CPU over one window of the hold; seconds counted from the end of the ramp. */
export interface HoldWindow {
  fromS: number;
  toS: number;
  stackCpuPercent: number;
  /** The gateways' part of it. */
  gatewaysCpuPercent: number;
  /** Kafka's JIT compiler threads in that window (part of the stack's figure); null: no broker. */
  kafkaJitCpuPercent: number | null;
}

/** What a `groups` step made each hop publish (docs/LOADTEST.md, "groups"). */
export interface HopEvents {
  /** Kafka records produced over the step and its drain, by topic (every process's /metrics). */
  kafkaByTopic: Record<string, number>;
  /** Publishes on the stack's delivery channels; null without the Redis watch. */
  redis: RedisPublishTally | null;
  /** Frames the tool's sockets received over the step and its drain, by type, and their bytes. */
  frames: Record<string, number>;
  frameBytes: number;
  /** `message` frames the gateways wrote to sockets (the `gateway_out` hop's count). */
  gatewayMessageFrames: number;
}

/** The events of a step divided by its acked (stored) messages; null when none was acked. */
export interface EventsPerMessage {
  /** Kafka records on the message path (`parley.messages.accepted.v1`). */
  kafkaMessages: number;
  /** Kafka records of delivered-cursor moves (`parley.cursors.v1`): the receipts' path. */
  kafkaCursors: number;
  /** Kafka records of every topic (heartbeats and connections included). */
  kafkaAll: number;
  /** Redis publishes carrying messages: per-box batches plus channel broadcasts. */
  redisMessages: number | null;
  /** Redis publishes carrying receipts only. */
  redisReceipts: number | null;
  redisAll: number | null;
  redisBytes: number | null;
  /** Every frame the sockets received, then `message` and `receipt` frames alone. */
  frames: number;
  messageFrames: number;
  receiptFrames: number;
  socketBytes: number;
}

export interface GroupsStepReport extends OpenLoopStepReport {
  workload: 'groups';
  kind: 'group' | 'channel';
  groups: number;
  /** Members per group. */
  members: number;
  /** Online members per group (the layout; `sockets` says how many connected). */
  online: number;
  /** Members per group who send (every online one in a group; the admins in a channel). */
  senders: number;
  /** Sockets open at the step's start, over every group. */
  sockets: number;
  /** Σ over acked messages of the sockets open in its group but the sender's. */
  expectedDeliveries: number;
  /** First deliveries of the step's messages, over every socket. */
  delivered: number;
  /** delivered ÷ max(duration, time from the step's start to its last delivery). */
  deliveredRate: number;
  /** Of `delivered`: those that came in a sync round after a `sync.required`, not as a live push. */
  resynced: number;
  /** Expected deliveries of acked messages that never came (by the end of the drain). */
  lost: number;
  /** Acked messages at least one expected recipient did not get. */
  lostMessages: number;
  /** Scheduled send time → each recipient's `message` frame (one value per delivery). */
  deliveryLatencyMs: LatencySummary;
  /** Stack CPU ms over step and drain ÷ acked messages. */
  stackCpuMsPerMessage: number | null;
  /** Stack CPU µs over step and drain ÷ deliveries. */
  stackCpuUsPerDelivery: number | null;
  /** The stack's CPU (% of a core) idle, sockets open, before the steps (null: `--idle 0`). */
  idleStackCpuPercent: number | null;
  /** (step CPU% - idle CPU%) over step and drain ÷ acked messages (null without an idle read). */
  stackCpuMsPerMessageAboveIdle: number | null;
  events: HopEvents;
  perMessage: EventsPerMessage | null;
}

/** What each hop did over a presence step and its drain (docs/LOADTEST.md, "presence"). */
export interface PresenceEvents {
  /** Kafka records produced, by topic (every process's /metrics). */
  kafkaByTopic: Record<string, number>;
  /** Publishes on the presence channels (one per change of one user); null without the watch. */
  redisPresence: { publishes: number; bytes: number; online: number; offline: number } | null;
  /** Publishes on the delivery channels (typing rides in them); null without the watch. */
  redisDeliveries: RedisPublishTally | null;
  /** Frames the tool's sockets received, by type, and their bytes. */
  frames: Record<string, number>;
  frameBytes: number;
  /** Rows written to `user_presence` (pg_stat_user_tables); null without the database. */
  dbWrites: (TableWrites & { rows: number }) | null;
}

/** Events per second of the step (÷ duration); null where not measured. */
export interface PresencePerSecond {
  toggles: number;
  typingSignals: number;
  kafkaConnections: number;
  kafkaActivity: number;
  kafkaTyping: number;
  redisPresence: number | null;
  redisTypingEntries: number | null;
  presenceFrames: number;
  presenceEntries: number;
  typingFrames: number;
  dbWrites: number | null;
}

/** Events per state change (toggle) or per typing signal; null where not measured or none. */
export interface PresencePerChange {
  /** Changes presence published per toggle (about 1: an offline after the grace, an online). */
  redisPresencePerToggle: number | null;
  /** Presence entries watchers got per toggle: the pushes per change (about --watch). */
  pushesPerToggle: number | null;
  /** Presence entries watchers got per published change. */
  pushesPerPublished: number | null;
  presenceFramesPerToggle: number | null;
  kafkaConnectionsPerToggle: number | null;
  /**
   * parley.activity.v1 records per return to the foreground. A return's activity rides in its
   * state change; these records carry typing's activity, many users each (`users.active`).
   */
  kafkaActivityPerForeground: number | null;
  dbWritesPerToggle: number | null;
  kafkaTypingPerSignal: number | null;
  redisTypingEntriesPerSignal: number | null;
  typingFramesPerSignal: number | null;
}

/** A presence step: the workers' counters summed (but errors), and what the step measured. */
export interface PresenceStepReport extends Omit<PresenceCounters, 'errors'> {
  workload: 'presence';
  /** A warm-up step (`--warmup`): reported, not part of the figures. */
  warmup?: boolean;
  step: number;
  startedAt: string;
  users: number;
  watch: number;
  conversations: number;
  workers: number;
  gateways: string[];
  /** Sockets open at the step's start. */
  sockets: number;
  /** Toggles per user per second, typing signals per second (over all users), --away. */
  changeRate: number;
  typingRate: number;
  awayS: number;
  durationS: number;
  drainS: number;
  toggles: number;
  events: PresenceEvents;
  perSecond: PresencePerSecond;
  perChange: PresencePerChange;
  /** Signal → `typing` frame (expiresAt less the TTL, the gateway's clock). */
  typingLatencyMs: LatencySummary;
  scheduleLagMs: LatencySummary;
  errors: Record<string, number>;
  generatorCpuPercent: number;
  generatorBehind: boolean;
  /** The stack (every process but the generator), presence alone, the gateways summed: % of a core. */
  stackCpuPercent: number;
  presenceCpuPercent: number | null;
  gatewaysCpuPercent: number;
  /** The idle stack (sockets open, foreground, watching, nothing changing) before the steps. */
  idleStackCpuPercent: number | null;
  idleProcesses: ProcessStat[] | null;
  processes: ProcessStat[];
}

/** The reconnect storm after the steps (`--storm N`). */
export interface PresenceStormReport {
  workload: 'presence-storm';
  startedAt: string;
  users: number;
  watch: number;
  workers: number;
  gateways: string[];
  /** Devices dropped at once (no closing handshake), reconnected (foreground, watching), failed. */
  dropped: number;
  reconnected: number;
  failed: number;
  /** From the drop to the last device back, seconds; per device, drop → back. */
  reconnectS: number;
  reconnectLatencyMs: LatencySummary;
  /** Presence's offline grace, and the devices back later than it after the drop. */
  graceMs: number;
  backAfterGrace: number;
  /** Seconds waited after the last device was back, before counting (past the offline grace). */
  settleS: number;
  /** Per dropped user, the changes presence published on its channel (null without the watch). */
  published: ChangesPerUser | null;
  /** Changes published for users whose devices were not dropped (null without the watch). */
  publishedOthers: number | null;
  /** Every change published over the storm, by its `online` (null without the watch). */
  publishedOnline: number | null;
  publishedOffline: number | null;
  /** Per dropped user, the most entries one watcher socket was pushed about it. */
  pushed: ChangesPerUser;
  pushedOthers: number;
  /** Non-snapshot entries and snapshots the sockets got over the storm. */
  presenceEntries: number;
  snapshots: number;
  kafkaByTopic: Record<string, number>;
  dbWrites: (TableWrites & { rows: number }) | null;
  errors: Record<string, number>;
  /** At most one change per user, published and pushed. */
  passed: boolean;
  processes: ProcessStat[];
}

export type StepReport =
  | PairsStepReport
  | ConnectReport
  | SyncReport
  | GroupsStepReport
  | PresenceStepReport
  | PresenceStormReport;

let runMachine: MachineProbe | undefined;

/** The machine figures (main.ts probes once, before the run) that every JSON line then carries. */
export function recordMachine(probe: MachineProbe): void {
  runMachine = probe;
}

export function appendJsonLine(file: string, report: StepReport): void {
  mkdirSync(dirname(file), { recursive: true });
  const line = runMachine ? { ...report, machine: runMachine } : report;
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** A plain-text table: numbers right-aligned, text left-aligned, two spaces between columns. */
export function renderTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((row) => row.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const line = (row: string[]) =>
    row
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 10
      ? value.toFixed(1)
      : value.toFixed(2);
}

function formatErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '-' : entries.map(([code, n]) => `${code}:${n}`).join(' ');
}

const lat = (s: LatencySummary) =>
  `${formatNumber(s.p50)}/${formatNumber(s.p90)}/${formatNumber(s.p99)}/${formatNumber(s.max)}`;

export function formatPairsTable(reports: PairsStepReport[]): string {
  const steps = renderTable(
    [
      'offered/s',
      'achieved/s',
      'sent',
      'acked',
      'delivered',
      'ack ms p50/p90/p99/max',
      'delivery ms p50/p90/p99/max',
      'lost',
      'unacked',
      'dup',
      'ooo',
      'receipts/msg',
      'lag p99 ms',
      'stack cpu ms/msg',
      'gen cpu%',
      'result',
    ],
    reports.map((r) => [
      stepLabel(r),
      r.achievedRate,
      r.sent,
      r.acked,
      r.delivered,
      lat(r.ackLatencyMs),
      lat(r.deliveryLatencyMs),
      r.lost,
      r.unacked,
      r.duplicates,
      r.outOfOrder,
      r.delivered > 0 ? Math.round((r.receipts / r.delivered) * 100) / 100 : '-',
      r.scheduleLagMs.p99,
      r.stackCpuMsPerMessage ?? '-',
      r.generatorCpuPercent,
      r.warmup
        ? 'warm-up (not judged)'
        : r.passed
          ? r.generatorBehind
            ? 'pass (gen behind)'
            : 'pass'
          : `FAIL ${r.failReasons.join(', ')}`,
    ]),
  );
  const errorLines = reports
    .filter((r) => Object.keys(r.errors).length > 0)
    .map(
      (r) =>
        `errors at ${r.offeredRate}/s: ${formatErrors(r.errors)}` +
        (r.resynced > 0 ? ` (${r.resynced} delivered via sync)` : ''),
    );
  return [
    steps,
    ...errorLines,
    '',
    formatHopTable(reports),
    '',
    formatProcessTable(reports.map((r) => [`${stepLabel(r)}/s`, r.processes])),
    ...(reports.some((r) => r.ioCallsPerMessage?.length)
      ? ['', formatIoCallsTable(reports.map((r) => [`${stepLabel(r)}/s`, r.ioCallsPerMessage]))]
      : []),
    ...(reports.some((r) => r.processes.some((p) => p.waitPercent !== undefined))
      ? [
          '',
          formatWaitTable(
            reports.map((r) => [`${stepLabel(r)}/s`, { processes: r.processes, machine: r }]),
          ),
        ]
      : []),
  ].join('\n');
}

/**
 * Rows = processes, columns = steps: how long each process's threads were ready but waited for a
 * core (waitPercent), and last rows for the machine: the share of the step in which any task did,
 * the CPU it spent outside the sampled processes and the CPU the host took (machineShares).
 */
export function formatWaitTable(
  columns: Array<[string, { processes: ProcessStat[]; machine: MachineShares }]>,
): string {
  const names: string[] = [];
  for (const [, r] of columns)
    for (const p of r.processes)
      if (p.waitPercent !== undefined && !names.includes(p.name)) names.push(p.name);
  const percent = (value: number | undefined) =>
    value === undefined ? '-' : `${formatNumber(value)}%`;
  return renderTable(
    ['waited for a core (% of a second)', ...columns.map(([label]) => label)],
    [
      ...names.map((name) => [
        name,
        ...columns.map(([, r]) => percent(r.processes.find((p) => p.name === name)?.waitPercent)),
      ]),
      [
        'machine: some task waiting',
        ...columns.map(([, r]) => percent(r.machine.cpuPressurePercent)),
      ],
      // What else had the cores: a run with much of it is slower for reasons outside the stack.
      [
        'machine: CPU outside these processes',
        ...columns.map(([, r]) => percent(r.machine.outsideCpuPercent)),
      ],
      [
        'machine: CPU stolen by the host',
        ...columns.map(([, r]) => percent(r.machine.stealCpuPercent)),
      ],
      // An ack waits for PostgreSQL's WAL flush: a step whose disk stalled has a longer tail.
      [
        'machine: some task waiting for the disk',
        ...columns.map(([, r]) => percent(r.machine.ioPressurePercent)),
      ],
      [
        `machine: disk flush ms p50 / p99 / max (≥${SLOW_FLUSH_MS} ms)`,
        ...columns.map(([, r]) => formatFlushes(r.machine.diskFlush)),
      ],
    ],
  );
}

/** The disk's flushes over a step: "p50 / p99 / max (slow)" in milliseconds, or a dash. */
function formatFlushes(flushes: DiskFlushSummary | undefined): string {
  if (!flushes) return '-';
  const { p50Ms, p99Ms, maxMs, slow } = flushes;
  return `${[p50Ms, p99Ms, maxMs].map(formatNumber).join(' / ')} (${slow})`;
}

/**
 * Rows = processes, columns = steps: "reads / writes" per delivered message, and "/ times on a
 * core" where the threads' schedstat was read.
 */
export function formatIoCallsTable(columns: Array<[string, IoCallsPerUnit[] | undefined]>): string {
  const names: string[] = [];
  let onCore = false;
  for (const [, calls] of columns)
    for (const c of calls ?? []) {
      if (!names.includes(c.name)) names.push(c.name);
      if (c.onCore !== undefined) onCore = true;
    }
  const title = onCore
    ? 'process (read / write calls / times on a core, per message)'
    : 'process (read / write calls per message)';
  return renderTable(
    [title, ...columns.map(([label]) => label)],
    names.map((name) => [
      name,
      ...columns.map(([, calls]) => {
        const c = calls?.find((x) => x.name === name);
        if (!c) return '-';
        const io = `${formatNumber(c.reads)} / ${formatNumber(c.writes)}`;
        return onCore ? `${io} / ${c.onCore === undefined ? '-' : formatNumber(c.onCore)}` : io;
      }),
    ]),
  );
}

/** A pairs step's rate, marked when photo uploads ran beside it (`images`). */
function stepLabel(r: Pick<PairsStepReport, 'offeredRate' | 'uploads'>): string | number {
  return r.uploads ? `${r.offeredRate} +img` : r.offeredRate;
}

/** `images`: what the uploads beside each step did, and what a photo cost the image worker. */
export function formatUploadsTable(reports: PairsStepReport[]): string {
  return renderTable(
    [
      'messages/s',
      'uploads/s',
      'photo KB',
      'started',
      'skipped',
      'uploaded',
      'delivered',
      'upload ms p50/p90/p99/max',
      'upload->delivered ms p50/p90/p99/max',
      'worker cpu ms/photo',
      'errors',
    ],
    reports.flatMap((r) =>
      r.uploads
        ? [
            [
              r.offeredRate,
              r.uploads.offeredPerS,
              Math.round(r.uploads.photoBytes / 1024),
              r.uploads.started,
              r.uploads.skipped,
              r.uploads.uploaded,
              r.uploads.delivered,
              lat(r.uploads.uploadMs),
              lat(r.uploads.uploadToDeliveredMs),
              r.uploads.workerCpuMsPerImage ?? '-',
              formatErrors(r.uploads.errors) || '-',
            ],
          ]
        : [],
    ),
  );
}

/** Rows = hops along the message path, columns = steps: "p50 / p99" ms since the gateway accepted. */
export function formatHopTable(
  reports: ReadonlyArray<Pick<PairsStepReport, 'offeredRate' | 'hops'>>,
): string {
  const hops: string[] = [];
  for (const r of reports) for (const h of r.hops) if (!hops.includes(h.hop)) hops.push(h.hop);
  if (hops.length === 0)
    return 'hop trace: none (no parley_message_hop_seconds on the /metrics read)';
  return renderTable(
    ['hop (ms since accepted, p50 / p99)', ...reports.map((r) => `${r.offeredRate}/s`)],
    hops.map((hop) => [
      hop,
      ...reports.map((r) => {
        const h = r.hops.find((x) => x.hop === hop);
        return h ? `${formatNumber(h.p50Ms)} / ${formatNumber(h.p99Ms)}` : '-';
      }),
    ]),
  );
}

/**
 * Rows = processes, columns = steps: "cpu% / rss MiB", with a broker's JIT compilers' part of its
 * CPU, or the time a Node service stood still for garbage collection, in brackets.
 */
export function formatProcessTable(columns: Array<[string, ProcessStat[]]>): string {
  const names: string[] = [];
  for (const [, stats] of columns)
    for (const s of stats) if (!names.includes(s.name)) names.push(s.name);
  return renderTable(
    ['process (cpu% of a core / rss MiB)', ...columns.map(([label]) => label)],
    names.map((name) => [
      name,
      ...columns.map(([, stats]) => {
        const s = stats.find((p) => p.name === name);
        if (!s) return '-';
        const jit = s.jitCpuPercent === undefined ? '' : ` (JIT ${formatNumber(s.jitCpuPercent)})`;
        const gc = s.gcPercent === undefined ? '' : ` (GC ${formatNumber(s.gcPercent)})`;
        return `${formatNumber(s.cpuPercent)}%${jit}${gc} / ${formatNumber(s.rssMiB)}`;
      }),
    ]),
  );
}

export function formatConnectTable(r: ConnectReport): string {
  const summary = renderTable(
    [
      'devices',
      'requested',
      'connected',
      'failed',
      'seconds',
      'connects/s',
      'connect ms p50/p90/p99/max',
      'gen cpu%',
      'cpu ms/connect: stack (gateways) / gen',
      'idle stack cpu%',
      'errors',
    ],
    [
      [
        r.devices,
        r.requested,
        r.connected,
        r.failed,
        r.elapsedS,
        r.connectRate,
        lat(r.connectLatencyMs),
        r.generatorCpuPercent,
        formatCpuPerConnect(r.cpuPerConnect),
        r.holdStackCpuPercent,
        formatErrors(r.errors),
      ],
    ],
  );
  const memory = renderTable(
    [
      'gateway',
      'sockets added',
      'rss at 10% MiB (gc)',
      'rss after MiB (gc)',
      'KiB/connection rss',
      'KiB/connection live',
    ],
    r.memory.map((m) => [
      m.gateway,
      m.connections,
      m.rssBeforeMiB,
      m.rssAfterMiB,
      m.bytesPerConnection === null ? '-' : formatNumber(m.bytesPerConnection / 1024),
      m.liveBytesPerConnection === null ? '-' : formatNumber(m.liveBytesPerConnection / 1024),
    ]),
  );
  return [
    summary,
    '',
    memory,
    '',
    formatProcessTable([
      ['ramp', r.processes],
      [`held ${r.holdSeconds} s`, r.holdProcesses],
    ]),
    ...([...r.processes, ...r.holdProcesses].some((p) => p.waitPercent !== undefined)
      ? [
          '',
          formatWaitTable([
            ['ramp', { processes: r.processes, machine: r.machine ?? {} }],
            [
              `held ${r.holdSeconds} s`,
              { processes: r.holdProcesses, machine: r.holdMachine ?? {} },
            ],
          ]),
        ]
      : []),
    ...(r.holdWindows && r.holdWindows.length > 1 ? ['', formatHoldWindows(r.holdWindows)] : []),
  ].join('\n');
}

/** "5.31 (3.42) / 1.40": the stack's, its gateways' and the generator's ms per connect. */
function formatCpuPerConnect(c: CpuPerConnect | undefined): string {
  if (!c || c.stackMs === null) return '-';
  const ms = (v: number | null) => (v === null ? '-' : formatNumber(v));
  return `${ms(c.stackMs)} (${ms(c.gatewaysMs)}) / ${ms(c.generatorMs)}`;
}

/** The idle stack window by window: the start-up tail (JIT, heap shrinking) against the rest. */
function formatHoldWindows(windows: readonly HoldWindow[]): string {
  return renderTable(
    ['hold, s after the ramp', ...windows.map((w) => `${w.fromS}-${w.toS}`)],
    [
      ['idle stack cpu%', ...windows.map((w) => w.stackCpuPercent)],
      ['of which the gateways', ...windows.map((w) => w.gatewaysCpuPercent)],
      [
        "of which Kafka's JIT compiler",
        ...windows.map((w) => (w.kafkaJitCpuPercent === null ? '-' : w.kafkaJitCpuPercent)),
      ],
    ],
  );
}

/** The sync workload: each measured sync, one row. */
export function formatSyncTable(report: SyncReport): string {
  const row = (name: string, m: SyncMeasurement): Array<string | number> => [
    name,
    m.wallMs,
    m.serverMs,
    m.serverQueries,
    m.rounds,
    m.messages,
    m.bytesSent,
    m.bytesReceived,
  ];
  return renderTable(
    ['sync', 'wall ms', 'server ms', 'queries', 'rounds', 'messages', 'bytes out', 'bytes in'],
    [
      ...report.agreement.map((m, i) => row(`${report.conversations} in agreement #${i + 1}`, m)),
      row(
        `${report.behind.behindMessages} behind in ${report.behind.behindConversations}`,
        report.behind,
      ),
    ],
  );
}

function stepResult(r: {
  warmup?: boolean;
  passed: boolean;
  generatorBehind: boolean;
  failReasons: string[];
}): string {
  if (r.warmup) return 'warm-up (not judged)';
  if (!r.passed) return `FAIL ${r.failReasons.join(', ')}`;
  return r.generatorBehind ? 'pass (gen behind)' : 'pass';
}

/** A per-message ratio: three decimals below 10, one below 100, none above. */
export function perMsg(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 3;
  return String(Math.round(value * 10 ** digits) / 10 ** digits);
}

/** The Kafka topic of the message path and of the cursors (libs/common Topic). */
export const MESSAGES_TOPIC = 'parley.messages.accepted.v1';
export const CURSORS_TOPIC = 'parley.cursors.v1';

/** Events per acked message (pure). */
export function eventsPerMessage(events: HopEvents, acked: number): EventsPerMessage | null {
  if (acked <= 0) return null;
  const per = (n: number) => n / acked;
  const kafkaAll = Object.values(events.kafkaByTopic).reduce((a, b) => a + b, 0);
  const frames = Object.values(events.frames).reduce((a, b) => a + b, 0);
  const redis = events.redis;
  return {
    kafkaMessages: per(events.kafkaByTopic[MESSAGES_TOPIC] ?? 0),
    kafkaCursors: per(events.kafkaByTopic[CURSORS_TOPIC] ?? 0),
    kafkaAll: per(kafkaAll),
    redisMessages: redis ? per(redis.boxMessagePublishes + redis.broadcastPublishes) : null,
    redisReceipts: redis ? per(redis.receiptPublishes) : null,
    redisAll: redis ? per(redis.publishes) : null,
    redisBytes: redis ? per(redis.bytes) : null,
    frames: per(frames),
    messageFrames: per(events.frames.message ?? 0),
    receiptFrames: per(events.frames.receipt ?? 0),
    socketBytes: per(events.frameBytes),
  };
}

/** The `groups` workload: a delivery table, a cost table, the events per hop, hops, processes. */
export function formatGroupsTable(reports: GroupsStepReport[]): string {
  const label = (r: GroupsStepReport) => `${r.offeredRate}/s`;
  const delivery = renderTable(
    [
      'offered/s',
      'achieved/s',
      'sent',
      'acked',
      'expected',
      'delivered',
      'delivered/s',
      'via sync',
      'delivery ms p50/p90/p99/max',
      'ack ms p50/p90/p99/max',
      'lost',
      'unacked',
      'dup',
      'ooo',
      'lag p99 ms',
      'gen cpu%',
      'result',
    ],
    reports.map((r) => [
      r.offeredRate,
      r.achievedRate,
      r.sent,
      r.acked,
      r.expectedDeliveries,
      r.delivered,
      r.deliveredRate,
      r.resynced,
      lat(r.deliveryLatencyMs),
      lat(r.ackLatencyMs),
      r.lost,
      r.unacked,
      r.duplicates,
      r.outOfOrder,
      r.scheduleLagMs.p99,
      r.generatorCpuPercent,
      stepResult(r),
    ]),
  );
  const cost = renderTable(
    [
      'offered/s',
      'kafka rec/msg (msg path / cursors / all)',
      'redis pub/msg (msgs / receipts / all)',
      'redis KiB/msg',
      'frames/msg (message / receipt / all)',
      'socket KiB/msg',
      'stack cpu ms/msg (all / above idle)',
      'stack cpu µs/delivery',
    ],
    reports.map((r) => {
      const p = r.perMessage;
      return [
        r.offeredRate,
        p ? `${perMsg(p.kafkaMessages)} / ${perMsg(p.kafkaCursors)} / ${perMsg(p.kafkaAll)}` : '-',
        p && p.redisAll !== null
          ? `${perMsg(p.redisMessages)} / ${perMsg(p.redisReceipts)} / ${perMsg(p.redisAll)}`
          : '-',
        p && p.redisBytes !== null ? Math.round((p.redisBytes / 1024) * 10) / 10 : '-',
        p ? `${perMsg(p.messageFrames)} / ${perMsg(p.receiptFrames)} / ${perMsg(p.frames)}` : '-',
        p ? Math.round((p.socketBytes / 1024) * 10) / 10 : '-',
        `${r.stackCpuMsPerMessage === null ? '-' : formatNumber(r.stackCpuMsPerMessage)} / ${r.stackCpuMsPerMessageAboveIdle === null ? '-' : formatNumber(r.stackCpuMsPerMessageAboveIdle)}`,
        r.stackCpuUsPerDelivery ?? '-',
      ];
    }),
  );
  const errorLines = reports
    .filter((r) => Object.keys(r.errors).length > 0)
    .map((r) => `errors at ${label(r)}: ${formatErrors(r.errors)}`);
  return [
    `${reports[0]?.kind ?? 'group'}s: ${reports[0]?.groups ?? 0} x ${reports[0]?.members ?? 0} members, ${reports[0]?.online ?? 0} online each (${reports[0]?.senders ?? 0} sending); idle stack ${reports[0]?.idleStackCpuPercent ?? '-'}% of a core`,
    delivery,
    ...errorLines,
    '',
    cost,
    '',
    formatEventsTable(reports),
    '',
    formatHopTable(reports),
    '',
    formatProcessTable(reports.map((r) => [label(r), r.processes])),
  ].join('\n');
}

/** Rows = what each hop published, columns = steps: "total (per message)". */
export function formatEventsTable(reports: GroupsStepReport[]): string {
  const rows: Array<[string, (r: GroupsStepReport) => number | undefined]> = [];
  const topics: string[] = [];
  for (const r of reports)
    for (const t of Object.keys(r.events.kafkaByTopic)) if (!topics.includes(t)) topics.push(t);
  topics.sort((a, b) =>
    a === MESSAGES_TOPIC ? -1 : b === MESSAGES_TOPIC ? 1 : a.localeCompare(b),
  );
  for (const t of topics) rows.push([`kafka ${t}`, (r) => r.events.kafkaByTopic[t] ?? 0]);
  const redis: Array<[string, keyof RedisPublishTally]> = [
    ['redis box publishes with messages', 'boxMessagePublishes'],
    ['redis channel-deliveries broadcasts', 'broadcastPublishes'],
    ['redis box publishes with receipts only', 'receiptPublishes'],
    ['redis other publishes', 'otherPublishes'],
    ['redis message items (over publishes)', 'items'],
    ['redis sockets named by items', 'namedSockets'],
  ];
  for (const [name, key] of redis) rows.push([name, (r) => r.events.redis?.[key]]);
  const types: string[] = [];
  for (const r of reports)
    for (const t of Object.keys(r.events.frames)) if (!types.includes(t)) types.push(t);
  types.sort();
  for (const t of types) rows.push([`frames ${t} (received)`, (r) => r.events.frames[t] ?? 0]);
  rows.push(['gateway message frames written', (r) => r.events.gatewayMessageFrames]);
  return renderTable(
    ['events (total, per acked message)', ...reports.map((r) => `${r.offeredRate}/s`)],
    rows.map(([name, value]) => [
      name,
      ...reports.map((r) => {
        const v = value(r);
        if (v === undefined) return '-';
        return r.acked > 0 ? `${v} (${perMsg(v / r.acked)})` : `${v}`;
      }),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// presence

const orDash = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : value;

/** The `presence` workload: a summary, the events per hop of each step, processes, the storm. */
export function formatPresenceTable(
  reports: PresenceStepReport[],
  storm?: PresenceStormReport,
): string {
  const label = (r: PresenceStepReport) => (r.warmup ? 'warm-up' : `step ${r.step}`);
  const first = reports[0];
  const summary = renderTable(
    [
      'step',
      'sockets',
      'toggles/s',
      'typing/s',
      'pushes/toggle',
      'published/toggle',
      'pushes/published',
      'typing pushes/signal',
      'db writes/s',
      'presence cpu%',
      'gateways cpu%',
      'stack cpu% (idle)',
      'typing ms p50/p99',
      'lag p99 ms',
      'gen cpu%',
      'errors',
    ],
    reports.map((r) => [
      label(r),
      r.sockets,
      r.perSecond.toggles,
      r.perSecond.typingSignals,
      orDash(r.perChange.pushesPerToggle),
      orDash(r.perChange.redisPresencePerToggle),
      orDash(r.perChange.pushesPerPublished),
      orDash(r.perChange.typingFramesPerSignal),
      orDash(r.perSecond.dbWrites),
      orDash(r.presenceCpuPercent),
      r.gatewaysCpuPercent,
      `${formatNumber(r.stackCpuPercent)} (${r.idleStackCpuPercent === null ? '-' : formatNumber(r.idleStackCpuPercent)})`,
      `${formatNumber(r.typingLatencyMs.p50)}/${formatNumber(r.typingLatencyMs.p99)}`,
      r.scheduleLagMs.p99,
      `${formatNumber(r.generatorCpuPercent)}${r.generatorBehind ? ' (behind)' : ''}`,
      formatErrors(r.errors),
    ]),
  );
  const columns: Array<[string, ProcessStat[]]> = [];
  if (first?.idleProcesses) columns.push(['idle', first.idleProcesses]);
  for (const r of reports) columns.push([label(r), r.processes]);
  if (storm) columns.push(['storm', storm.processes]);
  return [
    first
      ? `presence: ${first.users} users watching ${first.watch} each, ${first.conversations} conversation(s) each to type in; ${first.changeRate} toggles per user per second (away ${first.awayS} s), ${first.typingRate} typing signals/s`
      : 'presence: no step',
    summary,
    ...reports.flatMap((r) => ['', formatPresenceEvents(r, label(r))]),
    '',
    formatProcessTable(columns),
    ...(storm ? ['', formatStormTable(storm)] : []),
  ].join('\n');
}

/** One step's events per hop: total, per second, per toggle or per typing signal. */
export function formatPresenceEvents(r: PresenceStepReport, label: string): string {
  type Per = 'toggle' | 'foreground' | 'signal' | null;
  /** name, total (a number, words, or null: not measured), what "per change" divides by. */
  const rows: Array<[string, number | string | null, Per]> = [
    ['sent presence.state background', r.toBackground, null],
    ['sent presence.state foreground', r.toForeground, null],
    ['sent typing', r.typingSent, null],
  ];
  const topics = Object.keys(r.events.kafkaByTopic).sort();
  for (const t of [CONNECTIONS_TOPIC, ACTIVITY_TOPIC, TYPING_TOPIC])
    if (!topics.includes(t)) topics.push(t);
  const perTopic: Record<string, Per> = {
    [CONNECTIONS_TOPIC]: 'toggle',
    [ACTIVITY_TOPIC]: 'foreground',
    [TYPING_TOPIC]: 'signal',
  };
  for (const t of topics)
    rows.push([`kafka ${t}`, r.events.kafkaByTopic[t] ?? 0, perTopic[t] ?? null]);
  const rp = r.events.redisPresence;
  rows.push(['redis presence publishes (changes)', rp?.publishes ?? null, 'toggle']);
  rows.push(['  of them online', rp?.online ?? null, 'toggle']);
  rows.push(['  of them offline', rp?.offline ?? null, 'toggle']);
  const rd = r.events.redisDeliveries;
  rows.push(['redis delivery publishes with typing only', rd?.typingPublishes ?? null, 'signal']);
  rows.push(['redis typing entries (in delivery batches)', rd?.typingEntries ?? null, 'signal']);
  rows.push(['redis sockets named by typing entries', rd?.typingSockets ?? null, 'signal']);
  rows.push(['frames presence received (not snapshots)', r.presenceFrames, 'toggle']);
  rows.push(['presence entries received (pushes)', r.presenceEntries, 'toggle']);
  rows.push(['  of them online', r.presenceOnline, 'toggle']);
  rows.push(['  of them offline', r.presenceOffline, 'toggle']);
  rows.push(['frames typing received', r.typingReceived, 'signal']);
  for (const t of Object.keys(r.events.frames).sort())
    if (t !== 'presence' && t !== 'typing')
      rows.push([`frames ${t} received`, r.events.frames[t], null]);
  const db = r.events.dbWrites;
  rows.push(['postgres user_presence rows written', db?.rows ?? null, 'toggle']);
  rows.push([
    '  inserted / updated / deleted',
    db ? `${db.inserted} / ${db.updated} / ${db.deleted}` : null,
    null,
  ]);
  const per = (value: number, kind: Per): string => {
    if (kind === null) return '-';
    const d = kind === 'signal' ? r.typingSent : kind === 'foreground' ? r.toForeground : r.toggles;
    return d > 0 ? perMsg(value / d) : '-';
  };
  return renderTable(
    [`events, ${label} (${r.durationS} s + ${r.drainS} s drain)`, 'total', 'per s', 'per change'],
    rows.map(([name, value, kind]) =>
      typeof value === 'number'
        ? [
            name,
            String(value),
            perMsg(value / r.durationS),
            kind === null ? '-' : `${per(value, kind)} /${kind}`,
          ]
        : [name, value ?? '-', '-', '-'],
    ),
  );
}

export function formatStormTable(s: PresenceStormReport): string {
  const row = (name: string, c: ChangesPerUser | null, others: number | null) =>
    c
      ? [name, c.users, c.changed, c.max, c.mean, c.overOne, c.total, orDash(others)]
      : [name, '-', '-', '-', '-', '-', '-', '-'];
  return [
    `storm: ${s.dropped} devices dropped at once, ${s.reconnected} back in ${s.reconnectS} s (${s.failed} failed; drop → back ms p50/p90/p99/max ${lat(s.reconnectLatencyMs)}; ${s.backAfterGrace} back after the ${s.graceMs} ms offline grace), counted ${s.settleS} s more: ${s.passed ? 'pass' : 'FAIL'} (at most one change per user)`,
    renderTable(
      [
        'changes per dropped user',
        'users',
        'changed',
        'max',
        'mean',
        '>1',
        'total',
        'others changed',
      ],
      [
        row('published (redis, per user channel)', s.published, s.publishedOthers),
        row('pushed (most to one watcher)', s.pushed, s.pushedOthers),
      ],
    ),
    `published over the storm: ${orDash(s.publishedOnline)} online, ${orDash(s.publishedOffline)} offline; kafka: ${
      Object.entries(s.kafkaByTopic)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || '-'
    }; user_presence rows written ${s.dbWrites ? s.dbWrites.rows : '-'}; errors ${formatErrors(s.errors)}`,
  ].join('\n');
}
