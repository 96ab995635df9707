import { setTimeout as delay } from 'node:timers/promises';
import { Histogram } from './histogram';
import type { ConnectResult } from './ipc';
import { hostPort } from './loopback';
import {
  cpuPerConnect,
  diffSamples,
  gatewaysCpuPercent,
  machineShares,
  ProcessStat,
  readMachine,
  sampleProcesses,
  StackProcessFilter,
  stackCpuPercent,
  sumToTenth,
} from './process-stats';
import {
  appendJsonLine,
  ConnectReport,
  formatConnectTable,
  GatewayMemory,
  HoldWindow,
} from './report';
import type { WorkerPool } from './worker-pool';

/**
 * The `connect` workload, coordinator side: reads each gateway's resident memory right after a
 * full garbage collection (`POST /metrics/memory`), lets the workers ramp their idle authenticated sockets (directory ticket + WebSocket + hello,
 * with already-issued access tokens), holds, reads the memory again and attributes the growth to
 * the sockets that landed on each gateway.
 */
export interface ConnectOptions {
  /** `new`: each socket is a new device (its first sync fetches every tail); `returning`: it holds its states. */
  devices: 'new' | 'returning';
  users: number;
  connections: number;
  holdS: number;
  /** Seconds of the hold left out of its CPU figure (at most half the hold). */
  settleS?: number;
  gateways: string[];
  out?: string;
  processFilter: StackProcessFilter;
  log: (line: string) => void;
}

/** A gateway's resident memory right after a full garbage collection (`POST /metrics/memory`). */
export interface SettledReading {
  rssBytes: number;
  /**
   * What V8 holds live after the collection: heap used plus external memory (Buffers). Unlike
   * the resident size it does not keep the pages a ramp's garbage took until the allocator
   * returns them.
   */
  liveBytes?: number;
  collectedAt: string;
  /** Until then the gateway answers with this same reading. */
  nextCollectionAt: string;
}

/** The route's answer, checked (undefined when it is not one). */
export function parseSettledMemory(body: unknown): SettledReading | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { rssBytes, heapUsedBytes, externalBytes, collectedAt, nextCollectionAt } = body as Record<
    string,
    unknown
  >;
  if (
    typeof rssBytes !== 'number' ||
    typeof collectedAt !== 'string' ||
    typeof nextCollectionAt !== 'string'
  )
    return undefined;
  const live =
    typeof heapUsedBytes === 'number' && typeof externalBytes === 'number'
      ? { liveBytes: heapUsedBytes + externalBytes }
      : {};
  return { rssBytes, ...live, collectedAt, nextCollectionAt };
}

async function settledMemory(gateway: string): Promise<SettledReading | undefined> {
  try {
    const response = await fetch(`${gateway}/metrics/memory`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    return response.ok ? parseSettledMemory(await response.json()) : undefined;
  } catch {
    return undefined;
  }
}

/** The longest this tool waits for a gateway's next collection. */
const MAX_COLLECTION_WAIT_MS = 30_000;

/**
 * A reading taken after `earlier`'s collection: a gateway repeats its last reading until its
 * `nextCollectionAt`, so a short run waits for that rather than divide a stale figure.
 */
async function settledMemoryAfter(
  gateway: string,
  earlier: SettledReading | undefined,
): Promise<SettledReading | undefined> {
  const first = await settledMemory(gateway);
  if (!first || !earlier || first.collectedAt !== earlier.collectedAt) return first;
  const waitMs = Date.parse(first.nextCollectionAt) - Date.now();
  await delay(Math.min(Math.max(waitMs, 0), MAX_COLLECTION_WAIT_MS));
  const again = await settledMemory(gateway);
  return again && again.collectedAt !== earlier.collectedAt ? again : undefined;
}

/** Per-gateway memory per connection (pure: unit-tested). */
export function memoryPerGateway(
  gateways: string[],
  byUrl: Record<string, number>,
  before: Array<Pick<SettledReading, 'rssBytes' | 'liveBytes'> | undefined>,
  after: Array<Pick<SettledReading, 'rssBytes' | 'liveBytes'> | undefined>,
): GatewayMemory[] {
  const perConnection = (connections: number, a?: number, b?: number) =>
    connections > 0 && a !== undefined && b !== undefined
      ? Math.round((a - b) / connections)
      : null;
  const mib = (bytes: number | undefined) =>
    bytes === undefined ? 0 : Math.round((bytes / 1048576) * 10) / 10;
  return gateways.map((gateway, i) => {
    const connections = Object.entries(byUrl)
      .filter(([url]) => hostPort(url) === hostPort(gateway))
      .reduce((sum, [, n]) => sum + n, 0);
    const b = before[i];
    const a = after[i];
    return {
      gateway,
      connections,
      rssBeforeMiB: mib(b?.rssBytes),
      rssAfterMiB: mib(a?.rssBytes),
      bytesPerConnection: perConnection(connections, a?.rssBytes, b?.rssBytes),
      liveBytesPerConnection: perConnection(connections, a?.liveBytes, b?.liveBytes),
    };
  });
}

/**
 * The start of the hold left out of its CPU figure by default (the ramp's tail: closing
 * handshakes, GC). `--settle` raises it: V8 shrinks a gateway's heap after the ramp with a few full
 * collections within the first minute, which is clean-up after the ramp, not the cost of idling.
 */
export const HOLD_SETTLE_S = 5;

/** The hold's CPU is also reported per window of this many seconds (the last may be shorter). */
export const HOLD_WINDOW_S = 60;

/**
 * The measured part of the hold (after the settle) cut into HOLD_WINDOW_S windows, in seconds
 * after the ramp; a last piece shorter than half a window joins the one before (pure: unit-tested).
 */
export function holdWindowBounds(settleS: number, holdS: number): Array<[number, number]> {
  const bounds: Array<[number, number]> = [];
  for (let from = settleS; from < holdS; from += HOLD_WINDOW_S) {
    bounds.push([from, Math.min(holdS, from + HOLD_WINDOW_S)]);
  }
  const last = bounds.at(-1);
  if (bounds.length > 1 && last && last[1] - last[0] < HOLD_WINDOW_S / 2) {
    bounds.pop();
    const previous = bounds[bounds.length - 1];
    previous[1] = last[1];
  }
  return bounds;
}

/** One window's figures from its per-process CPU (pure: unit-tested). */
export function holdWindow(fromS: number, toS: number, stats: ProcessStat[]): HoldWindow {
  const kafka = stats.filter((p) => p.name.startsWith('kafka'));
  return {
    fromS,
    toS,
    stackCpuPercent: stackCpuPercent(stats),
    gatewaysCpuPercent: gatewaysCpuPercent(stats),
    kafkaJitCpuPercent:
      kafka.length === 0 ? null : sumToTenth(kafka.map((p) => p.jitCpuPercent ?? 0)),
  };
}

/** The share of the sockets opened before the memory baseline is read. */
export const WARM_SHARE = 0.1;

interface MergedResults {
  connected: number;
  failed: number;
  elapsedMs: number;
  latency: Histogram;
  byUrl: Record<string, number>;
  errors: Record<string, number>;
}

/** The workers' answers to one connect phase as one (the slowest worker's time is the phase's). */
function mergeResults(results: readonly ConnectResult[]): MergedResults {
  const merged: MergedResults = {
    connected: 0,
    failed: 0,
    elapsedMs: 0,
    latency: new Histogram(),
    byUrl: {},
    errors: {},
  };
  for (const r of results) {
    merged.connected += r.connected;
    merged.failed += r.failed;
    merged.elapsedMs = Math.max(merged.elapsedMs, r.elapsedMs);
    merged.latency.merge(r.latency);
    for (const [url, n] of Object.entries(r.byUrl))
      merged.byUrl[url] = (merged.byUrl[url] ?? 0) + n;
    for (const [code, n] of Object.entries(r.errors))
      merged.errors[code] = (merged.errors[code] ?? 0) + n;
  }
  return merged;
}

/** The pause after the priming pass's closes, so the stack has handled them before the ramp. */
const PRIME_SETTLE_MS = 3_000;

/**
 * `--returning`: every device connects, runs its first sync as a new device and closes (1000),
 * keeping its conversation states; the ramp that follows is then the reconnect of devices that
 * hold what the server holds (one round, in agreement). Not measured.
 */
export async function primeReturningDevices(
  pool: WorkerPool,
  log: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  const primed = mergeResults(await pool.connect(1));
  await pool.disconnect();
  log(
    `returning devices: ${primed.connected} connected, synced and closed in ${((Date.now() - started) / 1000).toFixed(1)} s (not measured)`,
  );
  await delay(PRIME_SETTLE_MS);
}

export async function runConnect(
  pool: WorkerPool,
  options: ConnectOptions,
): Promise<ConnectReport> {
  const { log, gateways } = options;
  const before = sampleProcesses(options.processFilter);
  const machineBefore = readMachine();
  const beforeAt = Date.now();
  const started = Date.now();
  const ticker = setInterval(
    () => log(`[connect ${((Date.now() - started) / 1000).toFixed(0)}s] ramping…`),
    1000,
  );
  let warm: ConnectResult[];
  let rssBefore: Array<SettledReading | undefined>;
  let results: ConnectResult[];
  try {
    // The first tenth warms each gateway (JIT, heap and caches sized for traffic); memory per
    // connection is what the other nine tenths add on top, so one-time costs are not spread
    // over the sockets.
    warm = await pool.connect(WARM_SHARE);
    rssBefore = await Promise.all(gateways.map(settledMemory));
    results = await pool.connect(1);
  } finally {
    clearInterval(ticker);
  }
  const after = sampleProcesses(options.processFilter);
  const rampSeconds = (Date.now() - beforeAt) / 1000;
  const processes = diffSamples(before, after, rampSeconds);
  const machine = machineShares(machineBefore, readMachine(), rampSeconds, processes);

  const all = mergeResults([...warm, ...results]);
  const warmed = mergeResults(warm);
  const measured = mergeResults(results);
  const { connected, failed, errors, latency } = all;
  // Both phases' ramps, without the pause between them to read memory.
  const elapsedMs = warmed.elapsedMs + measured.elapsedMs;
  log(
    `connected ${connected}/${options.connections} in ${(elapsedMs / 1000).toFixed(1)} s; holding ${options.holdS} s`,
  );
  // The stack's CPU with every socket open and idle: the hold after its first seconds.
  const settleS = Math.min(options.settleS ?? HOLD_SETTLE_S, options.holdS / 2);
  await delay(settleS * 1000);
  const holdStart = sampleProcesses(options.processFilter);
  const holdMachineStart = readMachine();
  const holdStartAt = Date.now();
  const holdWindows: HoldWindow[] = [];
  let windowStart = holdStart;
  for (const [fromS, toS] of holdWindowBounds(settleS, options.holdS)) {
    await delay((toS - fromS) * 1000);
    const windowEnd = sampleProcesses(options.processFilter);
    holdWindows.push(holdWindow(fromS, toS, diffSamples(windowStart, windowEnd, toS - fromS)));
    windowStart = windowEnd;
  }
  const holdSeconds = (Date.now() - holdStartAt) / 1000;
  const holdProcesses = diffSamples(holdStart, windowStart, holdSeconds);
  const holdMachine = machineShares(holdMachineStart, readMachine(), holdSeconds, holdProcesses);
  const rssAfter = await Promise.all(
    gateways.map((gateway, i) => settledMemoryAfter(gateway, rssBefore[i])),
  );
  const byUrl = measured.byUrl;

  // Sockets the directory placed on a gateway not in --gateways still count (memory unknown).
  const known = new Set(gateways.map(hostPort));
  const others = [...new Set(Object.keys(byUrl).map(hostPort))].filter((hp) => !known.has(hp));
  const memory = [
    ...memoryPerGateway(gateways, byUrl, rssBefore, rssAfter),
    ...others.map((hp) => ({
      gateway: `${hp} (not in --gateways)`,
      connections: Object.entries(byUrl)
        .filter(([url]) => hostPort(url) === hp)
        .reduce((sum, [, n]) => sum + n, 0),
      rssBeforeMiB: 0,
      rssAfterMiB: 0,
      bytesPerConnection: null,
      liveBytesPerConnection: null,
    })),
  ];
  const generator = processes.find((p) => p.name === 'generator');
  const report: ConnectReport = {
    workload: 'connect',
    devices: options.devices,
    startedAt: new Date(started).toISOString(),
    users: options.users,
    workers: results.length,
    gateways,
    requested: options.connections,
    connected,
    failed,
    elapsedS: Math.round(elapsedMs) / 1000,
    connectRate: elapsedMs > 0 ? Math.round((connected / (elapsedMs / 1000)) * 10) / 10 : 0,
    connectLatencyMs: latency.summary(),
    errors,
    baselineConnections: warmed.connected,
    memory,
    generatorCpuPercent: generator?.cpuPercent ?? 0,
    cpuPerConnect: cpuPerConnect(processes, rampSeconds, connected),
    processes,
    holdProcesses,
    holdStackCpuPercent: stackCpuPercent(holdProcesses),
    holdSeconds: Math.round(holdSeconds),
    holdWindows,
    machine,
    holdMachine,
  };
  if (options.out) appendJsonLine(options.out, report);
  process.stdout.write(`\n${formatConnectTable(report)}\n`);
  return report;
}
