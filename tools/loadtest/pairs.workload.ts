import type { DiskFlushProbe } from './disk-flush-probe';
import { gcSecondsByProcess, withGcShares } from './gc-time';
import { readMetricsPages } from './hop-events';
import { diffHopBuckets, hopBucketsOf, summarizeHops } from './hop-trace';
import type { StepResult } from './ipc';
import {
  IMAGE_WORKER,
  ioCallsPer,
  StackProcessFilter,
  StackSampler,
  stackCpuMsPer,
} from './process-stats';
import { appendJsonLine, formatPairsTable, formatUploadsTable, PairsStepReport } from './report';
import {
  failReasons,
  generatorBehind,
  mergeCommon,
  planSteps,
  progressLine,
  verdict,
} from './steps';
import type { ImageUploadLoad } from './image-uploads';
import type { WorkerPool } from './worker-pool';

/**
 * The `pairs` workload, coordinator side: every worker already holds one connected device per
 * user of its slice; for each offered rate it runs an open-loop step (each worker sends rate/W
 * messages/s from random users of its slice to random other users), waits the drain, merges the
 * workers' histograms and message ids, and decides whether the step passed.
 */
export interface PairsOptions {
  users: number;
  rates: number[];
  durationS: number;
  drainS: number;
  /** Seconds of an unjudged first step at the first rate (0: none). */
  warmupS?: number;
  /** Run once the warm-up step is reported (the planner statistics, when autovacuum is off). */
  afterWarmup?: () => Promise<void>;
  /** Run after a judged step passed, before the next rate (the statistics autovacuum would renew). */
  betweenSteps?: () => Promise<void>;
  p99LimitMs: number;
  lagLimitMs: number;
  textLength: number;
  /** Whether sends ask for the \`accepted\` frame (\`--no-accepted\`: the ack alone). */
  acceptedFrames: boolean;
  gateways: string[];
  out?: string;
  processFilter: StackProcessFilter;
  /** Every gateway's and service's HTTP URL: their /metrics hold the per-hop trace. */
  traceUrls: string[];
  /**
   * The `images` workload: every judged rate is run twice, first alone, then with these photo
   * uploads beside it (same run, so the two compare).
   */
  beside?: ImageUploadLoad;
  /** Started: the disk's flushes through each step go in its report (`--no-disk-probe`: none). */
  diskProbe?: DiskFlushProbe;
  log: (line: string) => void;
}

export interface PairsOutcome {
  reports: PairsStepReport[];
  /** The highest offered rate that passed (undefined if none). */
  saturation?: number;
}

/** Merges the workers' step results into one report (pure: unit-tested). */
export function buildPairsReport(
  results: StepResult[],
  context: {
    step: number;
    startedAt: Date;
    offeredRate: number;
    durationS: number;
    drainS: number;
    users: number;
    gateways: string[];
    p99LimitMs: number;
    lagLimitMs: number;
    stepStartMs: number;
    generatorCpuPercent: number;
    generatorProcesses: number;
  },
): Omit<PairsStepReport, 'processes' | 'stackCpuMsPerMessage' | 'hops'> {
  const merged = mergeCommon(results);
  const { counters, ack, delivery, lag, errors, lastAckAt, unacked } = merged;
  const delivered = new Set<number>();
  for (const r of results) for (const id of r.deliveredIds) delivered.add(id);
  let lost = 0;
  for (const r of results) for (const id of r.ackedIds) if (!delivered.has(id)) lost++;

  // Durable messages per second: over the step, or longer if the acks trailed into the drain.
  const ackSpanS = lastAckAt > 0 ? (lastAckAt - context.stepStartMs) / 1000 : 0;
  const achievedRate = counters.acked / Math.max(context.durationS, ackSpanS);
  const deliveryLatencyMs = delivery.summary();
  const scheduleLagMs = lag.summary();
  const reasons = failReasons(
    merged,
    deliveryLatencyMs,
    context.p99LimitMs,
    lost > 0 ? `${lost} lost` : null,
  );

  return {
    workload: 'pairs',
    step: context.step,
    startedAt: context.startedAt.toISOString(),
    users: context.users,
    workers: results.length,
    gateways: context.gateways,
    offeredRate: context.offeredRate,
    durationS: context.durationS,
    drainS: context.drainS,
    sent: counters.sent,
    accepted: counters.accepted,
    acked: counters.acked,
    achievedRate: Math.round(achievedRate * 10) / 10,
    delivered: counters.delivered,
    lost,
    resynced: counters.resynced,
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
  };
}

export async function runPairs(pool: WorkerPool, options: PairsOptions): Promise<PairsOutcome> {
  const { log } = options;
  const reports: PairsStepReport[] = [];
  let saturation: number | undefined;
  const { beside } = options;
  const plan = planSteps(options.rates, options.durationS, options.warmupS).flatMap((p) =>
    beside && !p.warmup
      ? [
          { ...p, withUploads: false },
          { ...p, withUploads: true },
        ]
      : [{ ...p, withUploads: false }],
  );
  for (let step = 0; step < plan.length; step++) {
    const { rate, durationS, warmup, withUploads } = plan[step];
    const startMs = Date.now() + 500;
    pool.onProgress = progressLine(
      log,
      plan[step],
      startMs,
      (sum) =>
        `sent=${sum.sent} acked=${sum.acked} delivered=${sum.delivered} errors=${sum.errors}`,
    );
    // The hop trace and the services' GC time, read before and after the step.
    const metricsBefore = await readMetricsPages(options.traceUrls);
    const sampler = new StackSampler(options.processFilter, 1000, options.diskProbe);
    sampler.start();
    const uploads =
      withUploads && beside ? beside.run(startMs, durationS, options.drainS) : undefined;
    const results = await pool.step(() => ({
      type: 'step',
      step,
      rate: rate / pool.size,
      startAt: startMs,
      durationMs: durationS * 1000,
      drainMs: options.drainS * 1000,
      textLength: options.textLength,
      acceptedFrames: options.acceptedFrames,
    }));
    const uploaded = await uploads;
    const sampled = sampler.stop();
    const { seconds, machine } = sampled;
    const metricsAfter = await readMetricsPages(options.traceUrls);
    const hops = summarizeHops(
      diffHopBuckets(hopBucketsOf(metricsBefore), hopBucketsOf(metricsAfter)),
    );
    const processes = withGcShares(
      sampled.processes,
      gcSecondsByProcess(metricsBefore),
      gcSecondsByProcess(metricsAfter),
      seconds,
    );
    const generator = processes.find((p) => p.name === 'generator');
    const merged = buildPairsReport(results, {
      step,
      startedAt: new Date(startMs),
      offeredRate: rate,
      durationS: durationS,
      drainS: options.drainS,
      users: options.users,
      gateways: options.gateways,
      p99LimitMs: options.p99LimitMs,
      lagLimitMs: options.lagLimitMs,
      stepStartMs: startMs,
      generatorCpuPercent: generator?.cpuPercent ?? 0,
      generatorProcesses: generator?.processes ?? 1,
    });
    const report: PairsStepReport = {
      ...(warmup ? { warmup: true } : {}),
      ...merged,
      stackCpuMsPerMessage: stackCpuMsPer(processes, seconds, merged.delivered),
      ioCallsPerMessage: ioCallsPer(processes, seconds, merged.delivered),
      ...machine,
      hops,
      processes,
      ...(uploaded
        ? {
            uploads: {
              ...uploaded,
              workerCpuMsPerImage: stackCpuMsPer(
                processes.filter((p) => p.name === IMAGE_WORKER),
                seconds,
                uploaded.uploaded,
              ),
            },
          }
        : {}),
    };
    reports.push(report);
    if (options.out) appendJsonLine(options.out, report);
    log(
      `step ${rate}/s${uploaded ? ` with ${uploaded.offeredPerS} uploads/s` : ''}: achieved ${report.achievedRate}/s, delivery p99 ${report.deliveryLatencyMs.p99} ms, stack CPU ${report.stackCpuMsPerMessage ?? '-'} ms/message, lost ${report.lost}: ${verdict(report)}`,
    );
    if (warmup) {
      await options.afterWarmup?.();
      continue; // reported, never judged
    }
    if (!report.passed) break;
    if (beside && !withUploads) continue; // judged with its uploads, next
    saturation = rate;
    if (step < plan.length - 1) await options.betweenSteps?.();
  }
  process.stdout.write(`\n${formatPairsTable(reports)}\n`);
  if (beside) process.stdout.write(`\n${formatUploadsTable(reports)}\n`);
  if (options.rates.length > 1) {
    process.stdout.write(
      saturation === undefined
        ? `\nsaturation: no step passed (lowest offered ${options.rates[0]}/s)\n`
        : `\nsaturation: last passing rate ${saturation}/s${saturation === options.rates[options.rates.length - 1] ? ' (every step passed: try higher rates)' : ''}\n`,
    );
  }
  return { reports, saturation };
}
