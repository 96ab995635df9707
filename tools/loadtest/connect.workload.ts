import { Histogram } from './histogram';
import type { ConnectResult } from './ipc';
import { hostPort } from './loopback';
import { diffSamples, sampleProcesses, StackProcessFilter } from './process-stats';
import { appendJsonLine, ConnectReport, formatConnectTable, GatewayMemory } from './report';
import type { WorkerPool } from './worker-pool';

/**
 * The `connect` workload, coordinator side: reads each gateway's resident memory from /metrics,
 * lets the workers ramp their idle authenticated sockets (directory ticket + WebSocket + hello,
 * with already-issued access tokens), holds, reads the memory again and attributes the growth to
 * the sockets that landed on each gateway.
 */
export interface ConnectOptions {
  users: number;
  connections: number;
  holdS: number;
  gateways: string[];
  out?: string;
  processFilter: StackProcessFilter;
  log: (line: string) => void;
}

/** `process_resident_memory_bytes` from a Prometheus text exposition. */
export function parseResidentMemory(metrics: string): number | undefined {
  const match = /^process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(metrics);
  return match ? Number(match[1]) : undefined;
}

async function residentMemory(gateway: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${gateway}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? parseResidentMemory(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Per-gateway memory per connection (pure: unit-tested). */
export function memoryPerGateway(
  gateways: string[],
  byUrl: Record<string, number>,
  before: Array<number | undefined>,
  after: Array<number | undefined>,
): GatewayMemory[] {
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
      rssBeforeMiB: mib(b),
      rssAfterMiB: mib(a),
      bytesPerConnection:
        connections > 0 && a !== undefined && b !== undefined
          ? Math.round((a - b) / connections)
          : null,
    };
  });
}

export async function runConnect(
  pool: WorkerPool,
  options: ConnectOptions,
): Promise<ConnectReport> {
  const { log, gateways } = options;
  const rssBefore = await Promise.all(gateways.map(residentMemory));
  const before = sampleProcesses(options.processFilter);
  const beforeAt = Date.now();
  const started = Date.now();
  const ticker = setInterval(
    () => log(`[connect ${((Date.now() - started) / 1000).toFixed(0)}s] ramping…`),
    1000,
  );
  let results: ConnectResult[];
  try {
    results = await pool.connect();
  } finally {
    clearInterval(ticker);
  }
  const after = sampleProcesses(options.processFilter);
  const processes = diffSamples(before, after, (Date.now() - beforeAt) / 1000);

  const latency = new Histogram();
  const byUrl: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let connected = 0;
  let failed = 0;
  let elapsedMs = 0;
  for (const r of results) {
    connected += r.connected;
    failed += r.failed;
    elapsedMs = Math.max(elapsedMs, r.elapsedMs);
    latency.merge(r.latency);
    for (const [url, n] of Object.entries(r.byUrl)) byUrl[url] = (byUrl[url] ?? 0) + n;
    for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
  }
  log(
    `connected ${connected}/${options.connections} in ${(elapsedMs / 1000).toFixed(1)} s; holding ${options.holdS} s`,
  );
  await new Promise((r) => setTimeout(r, options.holdS * 1000));
  const rssAfter = await Promise.all(gateways.map(residentMemory));

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
    })),
  ];
  const generator = processes.find((p) => p.name === 'generator');
  const report: ConnectReport = {
    workload: 'connect',
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
    memory,
    generatorCpuPercent: generator?.cpuPercent ?? 0,
    processes,
  };
  if (options.out) appendJsonLine(options.out, report);
  process.stdout.write(`\n${formatConnectTable(report)}\n`);
  return report;
}
