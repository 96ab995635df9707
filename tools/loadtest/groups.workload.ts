import { kafkaProducedByTopic, readMetricsTexts, type RedisWatch, diffCounts } from './hop-events';
import { diffHopBuckets, parseHopBuckets, summarizeHops, type HopBuckets } from './hop-trace';
import { type GroupsLayout, senderShares, tallyDeliveries } from './groups.plan';
import type { StepResult } from './ipc';
import { StackProcessFilter, StackSampler, stackCpuMsPer, stackCpuPercent } from './process-stats';
import {
  appendJsonLine,
  eventsPerMessage,
  formatGroupsTable,
  type GroupsStepReport,
  type HopEvents,
} from './report';
import {
  failReasons,
  generatorBehind,
  mergeCommon,
  planSteps,
  progressLine,
  verdict,
} from './steps';
import type { WorkerPool } from './worker-pool';

/**
 * The `groups` workload, coordinator side: every worker already holds the sockets of its slice of
 * the groups' online members. For each offered rate it runs an open-loop step (each worker sends
 * its share: random senders among its members, each to its own group), waits the drain, merges
 * the workers' counts (every recipient socket counts its own first delivery of each message), and
 * reads what each hop published: Kafka records by topic from the services' /metrics, Redis
 * delivery publishes from a subscriber on the delivery channels, and the frames the sockets got.
 */
export interface GroupsOptions {
  layout: GroupsLayout;
  rates: number[];
  durationS: number;
  drainS: number;
  warmupS?: number;
  /** Run once the warm-up step is reported (the planner statistics, when autovacuum is off). */
  afterWarmup?: () => Promise<void>;
  /** Run after a judged step passed, before the next rate (the statistics autovacuum would renew). */
  betweenSteps?: () => Promise<void>;
  p99LimitMs: number;
  lagLimitMs: number;
  textLength: number;
  acceptedFrames: boolean;
  gateways: string[];
  out?: string;
  processFilter: StackProcessFilter;
  /** Every gateway's and service's HTTP URL: their /metrics hold the hop trace and Kafka counts. */
  traceUrls: string[];
  /** The subscriber on the delivery channels (undefined: `--no-redis-watch`). */
  redis?: RedisWatch;
  /** Seconds of the stack idle (sockets open, nothing sent) measured before the steps (0: none). */
  idleS?: number;
  log: (line: string) => void;
}

export interface GroupsStepContext {
  step: number;
  startedAt: Date;
  layout: GroupsLayout;
  offeredRate: number;
  durationS: number;
  drainS: number;
  gateways: string[];
  p99LimitMs: number;
  lagLimitMs: number;
  stepStartMs: number;
  generatorCpuPercent: number;
  generatorProcesses: number;
}

type GroupsMerged = Omit<
  GroupsStepReport,
  | 'processes'
  | 'stackCpuMsPerMessage'
  | 'stackCpuUsPerDelivery'
  | 'idleStackCpuPercent'
  | 'stackCpuMsPerMessageAboveIdle'
  | 'hops'
  | 'events'
  | 'perMessage'
  | 'warmup'
>;

/** Merges the workers' step results into one report (pure: unit-tested). */
export function buildGroupsReport(
  results: StepResult[],
  context: GroupsStepContext,
): GroupsMerged & { frames: Record<string, number>; frameBytes: number } {
  const { layout } = context;
  const merged = mergeCommon(results);
  const { counters, ack, delivery, lag, errors, lastAckAt, unacked } = merged;
  const frames: Record<string, number> = {};
  let frameBytes = 0;
  const received = new Map<number, number>();
  const acked: Array<{ id: number; group: number }> = [];
  const onlineByGroup = new Array<number>(layout.groups).fill(0);
  let lastDeliveryAt = 0;
  for (const r of results) {
    for (const [type, n] of Object.entries(r.frames ?? {})) frames[type] = (frames[type] ?? 0) + n;
    frameBytes += r.frameBytes ?? 0;
    r.deliveredIds.forEach((id, i) =>
      received.set(id, (received.get(id) ?? 0) + (r.deliveredCounts?.[i] ?? 1)),
    );
    r.ackedIds.forEach((id, i) => acked.push({ id, group: r.ackedGroups?.[i] ?? 0 }));
    (r.onlineByGroup ?? []).forEach((n, g) => (onlineByGroup[g] += n));
    lastDeliveryAt = Math.max(lastDeliveryAt, r.lastDeliveryAt ?? 0);
  }
  const tally = tallyDeliveries(acked, onlineByGroup, received);

  const spanS = (at: number) => (at > 0 ? (at - context.stepStartMs) / 1000 : 0);
  const achievedRate = counters.acked / Math.max(context.durationS, spanS(lastAckAt));
  const deliveredRate = tally.received / Math.max(context.durationS, spanS(lastDeliveryAt));
  const deliveryLatencyMs = delivery.summary();
  const scheduleLagMs = lag.summary();
  const reasons = failReasons(
    merged,
    deliveryLatencyMs,
    context.p99LimitMs,
    tally.lost > 0 ? `${tally.lost} deliveries lost` : null,
  );

  return {
    workload: 'groups',
    kind: layout.kind,
    step: context.step,
    startedAt: context.startedAt.toISOString(),
    groups: layout.groups,
    members: layout.members,
    online: layout.online,
    senders: layout.senders,
    sockets: onlineByGroup.reduce((a, b) => a + b, 0),
    workers: results.length,
    gateways: context.gateways,
    offeredRate: context.offeredRate,
    durationS: context.durationS,
    drainS: context.drainS,
    sent: counters.sent,
    accepted: counters.accepted,
    acked: counters.acked,
    achievedRate: Math.round(achievedRate * 10) / 10,
    expectedDeliveries: tally.expected,
    delivered: tally.received,
    deliveredRate: Math.round(deliveredRate * 10) / 10,
    resynced: counters.resynced,
    lost: tally.lost,
    lostMessages: tally.lostMessages,
    unacked,
    duplicates: counters.duplicates,
    outOfOrder: counters.outOfOrder,
    receipts: counters.receipts,
    ackLatencyMs: ack.summary(),
    deliveryLatencyMs,
    scheduleLagMs,
    errors,
    generatorCpuPercent: Math.round(context.generatorCpuPercent * 10) / 10,
    generatorBehind: generatorBehind(scheduleLagMs, context),
    passed: reasons.length === 0,
    failReasons: reasons,
    frames,
    frameBytes,
  };
}

/**
 * Stack CPU ms per unit above the idle stack: (step CPU% - idle CPU%) over the step's seconds,
 * divided by the units (pure). At a few messages a second the idle stack's own work (heartbeats,
 * pings, consumer polls) is most of the step's CPU; this leaves it out.
 */
export function cpuMsAboveIdle(
  stepPercent: number,
  idlePercent: number,
  seconds: number,
  units: number,
): number | null {
  if (units <= 0) return null;
  const ms = (Math.max(0, stepPercent - idlePercent) / 100) * seconds * 1000;
  return Math.round((ms / units) * 1000) / 1000;
}

/** The hop histograms and Kafka produced counts of every process, from one /metrics read. */
async function readCounters(
  urls: readonly string[],
): Promise<{ hops: HopBuckets; kafka: Map<string, number> }> {
  const texts = await readMetricsTexts(urls);
  const hops: HopBuckets = new Map();
  for (const text of texts) parseHopBuckets(text, hops);
  return { hops, kafka: kafkaProducedByTopic(texts) };
}

/** How long the stack is left after the connects before its idle CPU is read. */
const IDLE_SETTLE_MS = 2000;

export async function runGroups(
  pool: WorkerPool,
  options: GroupsOptions,
): Promise<GroupsStepReport[]> {
  const { log, layout } = options;
  const reports: GroupsStepReport[] = [];
  const shares = senderShares(layout, pool.size);
  let idlePercent: number | null = null;
  if (options.idleS) {
    // The sockets' first syncs and delivered reports settle first.
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    const sampler = new StackSampler(options.processFilter);
    sampler.start();
    await new Promise((r) => setTimeout(r, options.idleS! * 1000));
    idlePercent = stackCpuPercent(sampler.stop().processes);
    log(`idle stack (sockets open, nothing sent, ${options.idleS} s): ${idlePercent}% of a core`);
  }
  const plan = planSteps(options.rates, options.durationS, options.warmupS);
  for (let step = 0; step < plan.length; step++) {
    const { rate, durationS, warmup } = plan[step];
    const startMs = Date.now() + 500;
    pool.onProgress = progressLine(
      log,
      plan[step],
      startMs,
      (sum) =>
        `sent=${sum.sent} acked=${sum.acked} delivered=${sum.delivered} receipts=${sum.receipts} errors=${sum.errors}`,
    );
    const before = await readCounters(options.traceUrls);
    options.redis?.reset();
    const sampler = new StackSampler(options.processFilter);
    sampler.start();
    const results = await pool.step((w) => ({
      type: 'step',
      step,
      rate: rate * shares[w],
      startAt: startMs,
      durationMs: durationS * 1000,
      drainMs: options.drainS * 1000,
      textLength: options.textLength,
      acceptedFrames: options.acceptedFrames,
    }));
    const { processes, seconds } = sampler.stop();
    const redis = options.redis?.read() ?? null;
    const after = await readCounters(options.traceUrls);
    const hops = summarizeHops(diffHopBuckets(before.hops, after.hops));
    const generator = processes.find((p) => p.name === 'generator');
    const { frames, frameBytes, ...merged } = buildGroupsReport(results, {
      step,
      startedAt: new Date(startMs),
      layout,
      offeredRate: rate,
      durationS,
      drainS: options.drainS,
      gateways: options.gateways,
      p99LimitMs: options.p99LimitMs,
      lagLimitMs: options.lagLimitMs,
      stepStartMs: startMs,
      generatorCpuPercent: generator?.cpuPercent ?? 0,
      generatorProcesses: generator?.processes ?? 1,
    });
    const events: HopEvents = {
      kafkaByTopic: Object.fromEntries(diffCounts(before.kafka, after.kafka)),
      redis,
      frames,
      frameBytes,
      gatewayMessageFrames: hops.find((h) => h.hop === 'gateway_out')?.count ?? 0,
    };
    const stackCpuMs = (stackCpuPercent(processes) / 100) * seconds * 1000;
    const report: GroupsStepReport = {
      ...(warmup ? { warmup: true } : {}),
      ...merged,
      stackCpuMsPerMessage: stackCpuMsPer(processes, seconds, merged.acked),
      idleStackCpuPercent: idlePercent,
      stackCpuMsPerMessageAboveIdle:
        idlePercent === null
          ? null
          : cpuMsAboveIdle(stackCpuPercent(processes), idlePercent, seconds, merged.acked),
      stackCpuUsPerDelivery:
        merged.delivered > 0 ? Math.round((stackCpuMs * 10_000) / merged.delivered) / 10 : null,
      events,
      perMessage: eventsPerMessage(events, merged.acked),
      hops,
      processes,
    };
    reports.push(report);
    if (options.out) appendJsonLine(options.out, report);
    log(
      `step ${rate}/s: ${report.acked} messages, ${report.delivered}/${report.expectedDeliveries} deliveries, delivery p99 ${report.deliveryLatencyMs.p99} ms, stack CPU ${report.stackCpuMsPerMessage ?? '-'} ms/message: ${verdict(report)}`,
    );
    if (warmup) {
      await options.afterWarmup?.();
      continue;
    }
    if (!report.passed) break;
    if (step < plan.length - 1) await options.betweenSteps?.();
  }
  process.stdout.write(`\n${formatGroupsTable(reports)}\n`);
  return reports;
}
