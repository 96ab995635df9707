import { Histogram, type LatencySummary } from './histogram';
import { type Counters, emptyCounters, type StepProgress, type StepResult } from './ipc';

/**
 * What every open-loop workload (`pairs`, `groups`) does the same way around its steps: the plan
 * of steps, the progress line, merging the workers' common results, and the verdict.
 */

export interface PlannedStep {
  rate: number;
  durationS: number;
  /** Reported, never judged. */
  warmup: boolean;
}

/** One step per offered rate, after an unjudged warm-up at the first rate if `warmupS` is set. */
export function planSteps(rates: number[], durationS: number, warmupS?: number): PlannedStep[] {
  const plan = rates.map((rate) => ({ rate, durationS, warmup: false }));
  if (warmupS) plan.unshift({ rate: rates[0], durationS: warmupS, warmup: true });
  return plan;
}

/**
 * A pool's progress handler: each worker's latest counters, summed by `sum` and logged as
 * `[label phase Ns] …` (`fields` renders the sums) about once a second. The phase is the drain
 * past `durationS`, else warm-up or run.
 */
export function progressEverySecond<C>(
  log: (line: string) => void,
  step: { label: string; startMs: number; durationS: number; warmup: boolean },
  sum: (all: Iterable<C>) => C,
  fields: (sum: C) => string,
): (p: { workerIndex: number; counters: C }) => void {
  const progress = new Map<number, C>();
  let lastLine = 0;
  return (p) => {
    progress.set(p.workerIndex, p.counters);
    const now = Date.now();
    if (now - lastLine < 900) return;
    lastLine = now;
    const t = Math.max(0, (now - step.startMs) / 1000);
    const phase = t > step.durationS ? 'drain' : step.warmup ? 'warm-up' : 'run';
    log(`[${step.label} ${phase} ${t.toFixed(0)}s] ${fields(sum(progress.values()))}`);
  };
}

/** An open-loop step's progress: `[rate/s phase Ns] …` with what `fields` makes of the sums. */
export function progressLine(
  log: (line: string) => void,
  planned: PlannedStep,
  startMs: number,
  fields: (sum: Counters) => string,
): (p: StepProgress) => void {
  return progressEverySecond(
    log,
    { label: `${planned.rate}/s`, startMs, durationS: planned.durationS, warmup: planned.warmup },
    sumCounters,
    fields,
  );
}

export function sumCounters(all: Iterable<Counters>): Counters {
  const sum = emptyCounters();
  for (const c of all) for (const k of Object.keys(sum) as Array<keyof Counters>) sum[k] += c[k];
  return sum;
}

/** The workers' results every workload merges alike. */
export interface MergedCommon {
  counters: Counters;
  ack: Histogram;
  delivery: Histogram;
  lag: Histogram;
  errors: Record<string, number>;
  lastAckAt: number;
  unacked: number;
}

export function mergeCommon(results: readonly StepResult[]): MergedCommon {
  const merged: MergedCommon = {
    counters: sumCounters(results.map((r) => r.counters)),
    ack: new Histogram(),
    delivery: new Histogram(),
    lag: new Histogram(),
    errors: {},
    lastAckAt: 0,
    unacked: 0,
  };
  for (const r of results) {
    merged.ack.merge(r.ack);
    merged.delivery.merge(r.delivery);
    merged.lag.merge(r.lag);
    for (const [code, n] of Object.entries(r.errors))
      merged.errors[code] = (merged.errors[code] ?? 0) + n;
    merged.lastAckAt = Math.max(merged.lastAckAt, r.lastAckAt);
    merged.unacked += r.unacked;
  }
  return merged;
}

/** The generator's own lag or CPU says the results are a lower bound. */
export function generatorBehind(
  scheduleLagMs: LatencySummary,
  context: { lagLimitMs: number; generatorCpuPercent: number; generatorProcesses: number },
): boolean {
  return (
    scheduleLagMs.p99 > context.lagLimitMs ||
    context.generatorCpuPercent / Math.max(1, context.generatorProcesses) > 90
  );
}

/** Why a step failed: latency, loss (`lost`, already worded), and what the merge counted. */
export function failReasons(
  merged: MergedCommon,
  deliveryLatencyMs: LatencySummary,
  p99LimitMs: number,
  lost: string | null,
): string[] {
  const { counters, errors, unacked } = merged;
  const reasons: string[] = [];
  if (deliveryLatencyMs.p99 > p99LimitMs) reasons.push(`delivery p99 > ${p99LimitMs} ms`);
  if (lost) reasons.push(lost);
  if (unacked > 0) reasons.push(`${unacked} unacked`);
  if (counters.duplicates > 0) reasons.push(`${counters.duplicates} duplicates`);
  if (counters.outOfOrder > 0) reasons.push(`${counters.outOfOrder} out of order`);
  const refused = Object.entries(errors)
    .filter(([code]) => code.startsWith('error_') || code === 'socket_not_open')
    .reduce((sum, [, n]) => sum + n, 0);
  if (refused > 0) reasons.push(`${refused} sends refused`);
  if (counters.sent === 0) reasons.push('nothing sent');
  return reasons;
}

/** `pass`, or `FAIL (…)`, and a warning when the generator fell behind. */
export function verdict(report: {
  passed: boolean;
  failReasons: string[];
  generatorBehind: boolean;
}): string {
  const judged = report.passed ? 'pass' : `FAIL (${report.failReasons.join(', ')})`;
  return report.generatorBehind
    ? `${judged} [generator fell behind: results are a lower bound]`
    : judged;
}
