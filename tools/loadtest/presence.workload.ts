import { writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Histogram } from './histogram';
import { diffCounts, kafkaProducedByTopic, readMetricsTexts, type RedisWatch } from './hop-events';
import {
  emptyPresenceCounters,
  type PresenceCounters,
  type PresenceReady,
  type PresenceResult,
  type PresenceStormReconnected,
  type PresenceStormResult,
} from './ipc';
import { diffTableWrites, type TableWrites, type TableWriteStats } from './pg-stats';
import {
  ACTIVITY_TOPIC,
  CONNECTIONS_TOPIC,
  mergeMaxima,
  type PresenceLayout,
  ratio,
  round3,
  stormUsers,
  summarizeChangesPerUser,
  TYPING_TOPIC,
  workerRates,
} from './presence.plan';
import {
  gatewaysCpuPercent,
  type ProcessStat,
  type StackProcessFilter,
  StackSampler,
  stackCpuPercent,
} from './process-stats';
import {
  appendJsonLine,
  formatPresenceTable,
  type PresenceEvents,
  type PresenceStepReport,
  type PresenceStormReport,
} from './report';
import { generatorBehind, progressEverySecond } from './steps';
import type { WorkerPool } from './worker-pool';

/**
 * The `presence` workload, coordinator side. The workers hold one socket per user; `setupPresence`
 * has every device make or find its conversations, go to the foreground and watch its users. Then
 * an optional idle read, the steps (an optional warm-up, then the measured one: state cycles and
 * typing, open loop), and an optional reconnect storm. Each hop is counted outside the services:
 * Kafka records by topic from every process's /metrics, Redis publishes from a subscriber on the
 * presence and delivery channels, the frames the sockets got, and the rows PostgreSQL's statistics
 * say were written to `user_presence`.
 */
export interface PresenceOptions {
  layout: PresenceLayout;
  /** Every user's id, by index. */
  userIds: string[];
  /** Toggles per user per second (a cycle, away and back, is two). */
  changeRate: number;
  /** Typing signals per second over all users. */
  typingRate: number;
  awayS: number;
  durationS: number;
  warmupS: number;
  /** Run once the warm-up step is reported (the planner statistics, when autovacuum is off). */
  afterWarmup?: () => Promise<void>;
  drainS: number;
  /** Seconds of the idle stack measured before the steps (0: none). */
  idleS: number;
  /** Devices dropped at once after the steps (0: no storm), and the seconds counted after. */
  storm: number;
  stormSettleS: number;
  /** Presence's PRESENCE_OFFLINE_GRACE_MS (read from its process, else the default). */
  graceMs: number;
  /** Devices set up or reconnected at once per worker. */
  concurrency: number;
  lagLimitMs: number;
  gateways: string[];
  out?: string;
  processFilter: StackProcessFilter;
  /** Every gateway's and service's HTTP URL: their /metrics hold the Kafka counts. */
  traceUrls: string[];
  redis?: RedisWatch;
  db?: TableWriteStats;
  /** Written when the measured step starts (for a run beside another load, e.g. `pairs`). */
  readyFile?: string;
  log: (line: string) => void;
}

/** Every device: conversations, foreground, watching. */
export async function setupPresence(
  pool: WorkerPool,
  options: Pick<PresenceOptions, 'concurrency' | 'log'>,
): Promise<{ ready: number; failed: number }> {
  const answers = await pool.ask<PresenceReady>(
    () => ({ type: 'presenceSetup', concurrency: options.concurrency }),
    'presenceReady',
  );
  const sum = (key: 'ready' | 'failed' | 'conversations' | 'snapshotUsers' | 'snapshotOnline') =>
    answers.reduce((s, a) => s + a[key], 0);
  const errors = mergeErrors(answers.map((a) => a.errors));
  options.log(
    `presence set up in ${(Math.max(...answers.map((a) => a.elapsedMs)) / 1000).toFixed(1)} s: ${sum('ready')} devices in the foreground and watching (${sum('failed')} failed), ${sum('conversations')} conversations found or made; snapshots listed ${sum('snapshotUsers')} users, ${sum('snapshotOnline')} online${Object.keys(errors).length ? ` (errors ${formatErrorCounts(errors)})` : ''}`,
  );
  return { ready: sum('ready'), failed: sum('failed') };
}

function mergeErrors(all: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const errors of all)
    for (const [code, n] of Object.entries(errors)) out[code] = (out[code] ?? 0) + n;
  return out;
}

function formatErrorCounts(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([code, n]) => `${code}:${n}`)
    .join(' ');
}

export interface PresenceStepContext {
  step: number;
  warmup: boolean;
  startedAt: Date;
  layout: PresenceLayout;
  changeRate: number;
  typingRate: number;
  awayS: number;
  durationS: number;
  drainS: number;
  gateways: string[];
  lagLimitMs: number;
  events: PresenceEvents;
  processes: ProcessStat[];
  idleStackCpuPercent: number | null;
  idleProcesses: ProcessStat[] | null;
}

/** Merges the workers' results and the hops' counts into one step report (pure: unit-tested). */
export function buildPresenceReport(
  results: readonly PresenceResult[],
  context: PresenceStepContext,
): PresenceStepReport {
  const counters: PresenceCounters = emptyPresenceCounters();
  const lag = new Histogram();
  const typingLatency = new Histogram();
  let sockets = 0;
  for (const r of results) {
    for (const key of Object.keys(counters) as Array<keyof PresenceCounters>)
      counters[key] += r.counters[key];
    lag.merge(r.lag);
    typingLatency.merge(r.typingLatency);
    sockets += r.sockets;
  }
  const errors = mergeErrors(results.map((r) => r.errors));
  const { events, durationS, processes } = context;
  const toggles = counters.toBackground + counters.toForeground;
  const perS = (n: number) => round3(n / durationS);
  const kafka = (topic: string) => events.kafkaByTopic[topic] ?? 0;
  const redisPresence = events.redisPresence?.publishes ?? null;
  const typingEntries = events.redisDeliveries?.typingEntries ?? null;
  const dbRows = events.dbWrites?.rows ?? null;
  const generator = processes.find((p) => p.name === 'generator');
  const scheduleLagMs = lag.summary();
  const orNull = <T>(value: number | null, f: (n: number) => T) =>
    value === null ? null : f(value);
  return {
    workload: 'presence',
    ...(context.warmup ? { warmup: true } : {}),
    step: context.step,
    startedAt: context.startedAt.toISOString(),
    users: context.layout.users,
    watch: context.layout.watch,
    conversations: context.layout.conversations,
    workers: results.length,
    gateways: context.gateways,
    sockets,
    changeRate: context.changeRate,
    typingRate: context.typingRate,
    awayS: context.awayS,
    durationS,
    drainS: context.drainS,
    toBackground: counters.toBackground,
    toForeground: counters.toForeground,
    toggles,
    typingSent: counters.typingSent,
    typingSkipped: counters.typingSkipped,
    presenceFrames: counters.presenceFrames,
    presenceEntries: counters.presenceEntries,
    presenceOnline: counters.presenceOnline,
    presenceOffline: counters.presenceOffline,
    snapshots: counters.snapshots,
    typingReceived: counters.typingReceived,
    events,
    perSecond: {
      toggles: perS(toggles),
      typingSignals: perS(counters.typingSent),
      kafkaConnections: perS(kafka(CONNECTIONS_TOPIC)),
      kafkaActivity: perS(kafka(ACTIVITY_TOPIC)),
      kafkaTyping: perS(kafka(TYPING_TOPIC)),
      redisPresence: orNull(redisPresence, perS),
      redisTypingEntries: orNull(typingEntries, perS),
      presenceFrames: perS(counters.presenceFrames),
      presenceEntries: perS(counters.presenceEntries),
      typingFrames: perS(counters.typingReceived),
      dbWrites: orNull(dbRows, perS),
    },
    perChange: {
      redisPresencePerToggle: orNull(redisPresence, (n) => ratio(n, toggles)),
      pushesPerToggle: ratio(counters.presenceEntries, toggles),
      pushesPerPublished:
        redisPresence === null ? null : ratio(counters.presenceEntries, redisPresence),
      presenceFramesPerToggle: ratio(counters.presenceFrames, toggles),
      kafkaConnectionsPerToggle: ratio(kafka(CONNECTIONS_TOPIC), toggles),
      kafkaActivityPerForeground: ratio(kafka(ACTIVITY_TOPIC), counters.toForeground),
      dbWritesPerToggle: orNull(dbRows, (n) => ratio(n, toggles)),
      kafkaTypingPerSignal: ratio(kafka(TYPING_TOPIC), counters.typingSent),
      redisTypingEntriesPerSignal: orNull(typingEntries, (n) => ratio(n, counters.typingSent)),
      typingFramesPerSignal: ratio(counters.typingReceived, counters.typingSent),
    },
    typingLatencyMs: typingLatency.summary(),
    scheduleLagMs,
    errors,
    generatorCpuPercent: Math.round((generator?.cpuPercent ?? 0) * 10) / 10,
    generatorBehind: generatorBehind(scheduleLagMs, {
      lagLimitMs: context.lagLimitMs,
      generatorCpuPercent: generator?.cpuPercent ?? 0,
      generatorProcesses: generator?.processes ?? 1,
    }),
    stackCpuPercent: stackCpuPercent(processes),
    presenceCpuPercent: processes.find((p) => p.name === 'presence')?.cpuPercent ?? null,
    gatewaysCpuPercent: gatewaysCpuPercent(processes),
    idleStackCpuPercent: context.idleStackCpuPercent,
    idleProcesses: context.idleProcesses,
    processes,
  };
}

/** Sums the workers' presence counters. */
function sumPresenceCounters(all: Iterable<PresenceCounters>): PresenceCounters {
  const sum = emptyPresenceCounters();
  for (const c of all)
    for (const key of Object.keys(sum) as Array<keyof PresenceCounters>) sum[key] += c[key];
  return sum;
}

/** What the hops' counters say at one moment. */
interface HopReading {
  kafka: Map<string, number>;
  db: TableWrites | null;
}

async function readHops(options: PresenceOptions): Promise<HopReading> {
  const [texts, db] = await Promise.all([
    readMetricsTexts(options.traceUrls),
    options.db ? options.db.read().catch(() => null) : Promise.resolve(null),
  ]);
  return { kafka: kafkaProducedByTopic(texts), db };
}

function hopsBetween(
  before: HopReading,
  after: HopReading,
): Pick<PresenceEvents, 'kafkaByTopic' | 'dbWrites'> {
  return {
    kafkaByTopic: Object.fromEntries(diffCounts(before.kafka, after.kafka)),
    dbWrites: before.db && after.db ? diffTableWrites(before.db, after.db) : null,
  };
}

/** How long the stack is left after the set-up before its idle CPU is read. */
const IDLE_SETTLE_MS = 2000;

export async function runPresence(
  pool: WorkerPool,
  options: PresenceOptions,
): Promise<{ steps: PresenceStepReport[]; storm?: PresenceStormReport }> {
  const { log, layout } = options;
  let idleStackCpuPercent: number | null = null;
  let idleProcesses: ProcessStat[] | null = null;
  if (options.idleS > 0) {
    await delay(IDLE_SETTLE_MS);
    const sampler = new StackSampler(options.processFilter);
    sampler.start();
    await delay(options.idleS * 1000);
    idleProcesses = sampler.stop().processes;
    idleStackCpuPercent = stackCpuPercent(idleProcesses);
    log(
      `idle stack (${layout.users} sockets in the foreground, watching, ${options.idleS} s): ${idleStackCpuPercent}% of a core (presence ${idleProcesses.find((p) => p.name === 'presence')?.cpuPercent ?? '-'}%, gateways ${gatewaysCpuPercent(idleProcesses)}%)`,
    );
  }

  const plan = [
    ...(options.warmupS > 0 ? [{ durationS: options.warmupS, warmup: true }] : []),
    { durationS: options.durationS, warmup: false },
  ];
  const steps: PresenceStepReport[] = [];
  for (let step = 0; step < plan.length; step++) {
    const { durationS, warmup } = plan[step];
    const startMs = Date.now() + 500;
    pool.onPresenceProgress = progressEverySecond(
      log,
      { label: 'presence', startMs, durationS, warmup },
      sumPresenceCounters,
      (sum) =>
        `toggles=${sum.toBackground + sum.toForeground} typing=${sum.typingSent} pushes=${sum.presenceEntries} typing-received=${sum.typingReceived} errors=${sum.errors}`,
    );
    const before = await readHops(options);
    options.redis?.reset();
    const sampler = new StackSampler(options.processFilter);
    sampler.start();
    const ready =
      !warmup && options.readyFile
        ? setTimeout(
            () => writeReadyFile(options, startMs, durationS),
            Math.max(0, startMs - Date.now()),
          )
        : undefined;
    const results = await pool.ask<PresenceResult>((w) => {
      const rates = workerRates(layout.users, pool.size, w, options.changeRate, options.typingRate);
      return {
        type: 'presenceStep',
        step,
        startAt: startMs,
        durationMs: durationS * 1000,
        drainMs: options.drainS * 1000,
        cyclesPerSecond: rates.cyclesPerSecond,
        awayMs: options.awayS * 1000,
        typingPerSecond: rates.typingPerSecond,
      };
    }, 'presenceResult');
    clearTimeout(ready);
    const { processes } = sampler.stop();
    const after = await readHops(options);
    const presence = options.redis?.readPresence();
    const report = buildPresenceReport(results, {
      step,
      warmup,
      startedAt: new Date(startMs),
      layout,
      changeRate: options.changeRate,
      typingRate: options.typingRate,
      awayS: options.awayS,
      durationS,
      drainS: options.drainS,
      gateways: options.gateways,
      lagLimitMs: options.lagLimitMs,
      events: {
        ...hopsBetween(before, after),
        redisPresence: presence
          ? {
              publishes: presence.publishes,
              bytes: presence.bytes,
              online: presence.online,
              offline: presence.offline,
            }
          : null,
        redisDeliveries: options.redis?.read() ?? null,
        frames: mergeErrors(results.map((r) => r.frames)),
        frameBytes: results.reduce((s, r) => s + r.frameBytes, 0),
      },
      processes,
      idleStackCpuPercent,
      idleProcesses,
    });
    steps.push(report);
    if (options.out) appendJsonLine(options.out, report);
    log(
      `${warmup ? 'warm-up' : `step ${step}`}: ${report.toggles} toggles (${report.perSecond.toggles}/s), ${report.typingSent} typing signals; ${report.perChange.pushesPerToggle ?? '-'} pushes per toggle, ${report.perChange.typingFramesPerSignal ?? '-'} typing pushes per signal, ${report.perSecond.dbWrites ?? '-'} user_presence writes/s, presence ${report.presenceCpuPercent ?? '-'}% and gateways ${report.gatewaysCpuPercent}% of a core`,
    );
    if (warmup) await options.afterWarmup?.();
  }

  let storm: PresenceStormReport | undefined;
  if (options.storm > 0) storm = await runStorm(pool, options);
  process.stdout.write(`\n${formatPresenceTable(steps, storm)}\n`);
  return { steps, storm };
}

function writeReadyFile(options: PresenceOptions, startMs: number, durationS: number): void {
  if (!options.readyFile) return;
  const until = new Date(startMs + durationS * 1000).toISOString();
  try {
    writeFileSync(options.readyFile, `${JSON.stringify({ measuring: true, until })}\n`);
  } catch (error) {
    options.log(`warning: cannot write --ready-file: ${String(error)}`);
  }
  options.log(`measured step running until ${until} (--ready-file ${options.readyFile} written)`);
}

/** The pause before a storm, so the last step's changes are over. */
const STORM_PAUSE_MS = 2000;

async function runStorm(pool: WorkerPool, options: PresenceOptions): Promise<PresenceStormReport> {
  const { log, layout } = options;
  await delay(STORM_PAUSE_MS);
  const before = await readHops(options);
  options.redis?.reset();
  const sampler = new StackSampler(options.processFilter);
  sampler.start();
  const startedAt = new Date();
  log(`storm: dropping the sockets of users 0..${options.storm - 1} at once, reconnecting them`);
  const back = await pool.ask<PresenceStormReconnected>(
    () => ({
      type: 'presenceStorm',
      users: options.storm,
      concurrency: options.concurrency,
      graceMs: options.graceMs,
    }),
    'presenceStormReconnected',
  );
  const latency = new Histogram();
  for (const b of back) latency.merge(b.latency);
  const reconnected = back.reduce((s, b) => s + b.reconnected, 0);
  const failed = back.reduce((s, b) => s + b.failed, 0);
  const reconnectS = Math.round(Math.max(...back.map((b) => b.elapsedMs))) / 1000;
  log(
    `storm: ${reconnected} back in ${reconnectS} s (${failed} failed); counting ${options.stormSettleS} s more`,
  );
  await delay(options.stormSettleS * 1000);
  const results = await pool.ask<PresenceStormResult>(
    () => ({ type: 'presenceStormEnd' }),
    'presenceStormResult',
  );
  const { processes } = sampler.stop();
  const after = await readHops(options);
  const presence = options.redis?.readPresence();
  const report = buildStormReport({
    layout,
    storm: options.storm,
    startedAt,
    gateways: options.gateways,
    workers: pool.size,
    back,
    results,
    reconnectLatency: latency,
    settleS: options.stormSettleS,
    publishedPerUser: presence?.perUser ?? null,
    publishedKinds: presence ? { online: presence.online, offline: presence.offline } : null,
    graceMs: options.graceMs,
    userIds: options.userIds,
    hops: hopsBetween(before, after),
    processes,
  });
  if (options.out) appendJsonLine(options.out, report);
  log(
    `storm: published per user max ${report.published?.max ?? '-'} mean ${report.published?.mean ?? '-'} (>1: ${report.published?.overOne ?? '-'}); pushed per user max ${report.pushed.max} mean ${report.pushed.mean} (>1: ${report.pushed.overOne}): ${report.passed ? 'pass' : 'FAIL'}`,
  );
  return report;
}

/** The storm's counts as one report (pure: unit-tested). */
export function buildStormReport(input: {
  layout: PresenceLayout;
  storm: number;
  startedAt: Date;
  gateways: string[];
  workers: number;
  back: readonly PresenceStormReconnected[];
  results: readonly PresenceStormResult[];
  reconnectLatency: Histogram;
  settleS: number;
  /** userId -> publishes on its presence channel (null without the Redis watch). */
  publishedPerUser: ReadonlyMap<string, number> | null;
  /** Those publishes by the change's `online` (null without the Redis watch). */
  publishedKinds: { online: number; offline: number } | null;
  graceMs: number;
  userIds: readonly string[];
  hops: Pick<PresenceEvents, 'kafkaByTopic' | 'dbWrites'>;
  processes: ProcessStat[];
}): PresenceStormReport {
  const { layout, back, results, userIds } = input;
  const indexOf = new Map(userIds.map((id, i) => [id, i]));
  const dropped = stormUsers(layout.users, input.storm);
  const droppedSet = new Set(dropped);
  const others = (counts: ReadonlyMap<number, number>) => {
    let n = 0;
    for (const [user, c] of counts) if (!droppedSet.has(user)) n += c;
    return n;
  };
  let published: PresenceStormReport['published'] = null;
  let publishedOthers: number | null = null;
  if (input.publishedPerUser) {
    const counts = new Map<number, number>();
    for (const [userId, n] of input.publishedPerUser) {
      const user = indexOf.get(userId);
      if (user !== undefined) counts.set(user, n);
    }
    published = summarizeChangesPerUser(counts, dropped);
    publishedOthers = others(counts);
  }
  const pushedCounts = mergeMaxima(
    results.map((r) => r.maxPushedPerUser),
    indexOf,
  );
  const pushed = summarizeChangesPerUser(pushedCounts, dropped);
  return {
    workload: 'presence-storm',
    startedAt: input.startedAt.toISOString(),
    users: layout.users,
    watch: layout.watch,
    workers: input.workers,
    gateways: input.gateways,
    dropped: back.reduce((s, b) => s + b.dropped, 0),
    reconnected: back.reduce((s, b) => s + b.reconnected, 0),
    failed: back.reduce((s, b) => s + b.failed, 0),
    reconnectS: Math.round(Math.max(0, ...back.map((b) => b.elapsedMs))) / 1000,
    graceMs: input.graceMs,
    backAfterGrace: back.reduce((s, b) => s + b.late, 0),
    reconnectLatencyMs: input.reconnectLatency.summary(),
    settleS: input.settleS,
    published,
    publishedOthers,
    publishedOnline: input.publishedKinds?.online ?? null,
    publishedOffline: input.publishedKinds?.offline ?? null,
    pushed,
    pushedOthers: others(pushedCounts),
    presenceEntries: results.reduce((s, r) => s + r.entries, 0),
    snapshots: results.reduce((s, r) => s + r.snapshots, 0),
    kafkaByTopic: input.hops.kafkaByTopic,
    dbWrites: input.hops.dbWrites,
    errors: mergeErrors(back.map((b) => b.errors)),
    passed: pushed.max <= 1 && (published === null || published.max <= 1),
    processes: input.processes,
  };
}
