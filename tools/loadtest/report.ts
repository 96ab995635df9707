import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LatencySummary } from './histogram';
import type { HopSummary } from './hop-trace';
import type { ProcessStat } from './process-stats';
import type { SyncMeasurement, SyncReport } from './sync.workload';

/** What one step of a workload measured: printed as a table and written as one JSON line. */
export interface PairsStepReport {
  workload: 'pairs';
  /** A warm-up step (`--warmup`): reported, not judged. */
  warmup?: boolean;
  step: number;
  startedAt: string;
  users: number;
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
  delivered: number;
  /** Acked (durable) but never delivered to the recipient by the end of the drain. */
  lost: number;
  /** Sent but neither acked nor refused by the end of the drain. */
  unacked: number;
  duplicates: number;
  outOfOrder: number;
  /** `receipt` frames the step's devices received (over step and drain). */
  receipts: number;
  ackLatencyMs: LatencySummary;
  deliveryLatencyMs: LatencySummary;
  /** How late the generator sent each message relative to its schedule. */
  scheduleLagMs: LatencySummary;
  errors: Record<string, number>;
  generatorCpuPercent: number;
  generatorBehind: boolean;
  /**
   * The headline cost: CPU milliseconds of every stack process (not the generator) over the step
   * and its drain, divided by the messages delivered; null when none were.
   */
  stackCpuMsPerMessage: number | null;
  /** Per hop of the message path: ms from the gateway accepting a send (the services' /metrics). */
  hops: HopSummary[];
  passed: boolean;
  failReasons: string[];
  processes: ProcessStat[];
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
  /** `new` devices fetch every tail in their first sync; `returning` ones state what they hold. */
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
  processes: ProcessStat[];
  /** Every process while the sockets were held idle (after HOLD_SETTLE_S), and the stack's sum. */
  holdProcesses: ProcessStat[];
  holdStackCpuPercent: number;
  holdSeconds: number;
}

export type StepReport = PairsStepReport | ConnectReport | SyncReport;

export function appendJsonLine(file: string, report: StepReport): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(report)}\n`);
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
      r.offeredRate,
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
    .map((r) => `errors at ${r.offeredRate}/s: ${formatErrors(r.errors)}`);
  return [
    steps,
    ...errorLines,
    '',
    formatHopTable(reports),
    '',
    formatProcessTable(reports.map((r) => [`${r.offeredRate}/s`, r.processes])),
  ].join('\n');
}

/** Rows = hops along the message path, columns = steps: "p50 / p99" ms since the gateway accepted. */
export function formatHopTable(reports: PairsStepReport[]): string {
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

/** Rows = processes, columns = steps: "cpu% / rss MiB". */
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
        return s ? `${formatNumber(s.cpuPercent)}% / ${formatNumber(s.rssMiB)}` : '-';
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
  ].join('\n');
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
