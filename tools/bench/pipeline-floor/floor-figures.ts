import type { DiskFlushSummary } from '../../loadtest/disk-flush-probe';
import type { LatencySummary } from '../../loadtest/histogram';
import { cpuMsPer, sumToTenth } from '../../loadtest/process-stats';

/** What a step of the floor counted at the driver's sockets. */
export interface StepCounts {
  sent: number;
  acked: number;
  delivered: number;
  /** Messages a recipient got with a seq not above the last it saw in that conversation. */
  outOfOrder: number;
}

/** A process group's CPU over the step, % of one core. */
export interface GroupCpu {
  name: string;
  cpuPercent: number;
  /** A JVM's JIT compilers, part of cpuPercent (the broker's, in its first minutes). */
  jitCpuPercent?: number;
  /** Read and write system calls a second, where /proc gave them. */
  readsPerSecond?: number;
  writesPerSecond?: number;
}

/** The name the driver's own process is sampled under (not part of the floor's cost). */
export const DRIVER = 'generator';

export interface FloorStepFigures {
  rate: number;
  achieved: number;
  counts: StepCounts;
  lost: number;
  delivery: LatencySummary;
  processes: GroupCpu[];
  /** Every process but the driver, % of one core. */
  stackCpuPercent: number;
  /** The stack's CPU per delivered message, ms (null when nothing was delivered). */
  stackCpuMsPerMessage: number | null;
  /** The disk's flushes through the step (the load tool's DiskFlushProbe), when timed. */
  diskFlush?: DiskFlushSummary;
  /** One line for the terminal. */
  line: string;
}

const tenth = (n: number): number => Math.round(n * 10) / 10;
const hundredth = (n: number): number => Math.round(n * 100) / 100;

/**
 * A step's figures: `rate` offered for `sendSeconds`, sampled over `sampledSeconds` (the sends and
 * the drain), CPU per delivered message over the whole sampled time as the load tool counts it.
 */
export function floorStepFigures(
  rate: number,
  sendSeconds: number,
  sampledSeconds: number,
  counts: StepCounts,
  delivery: LatencySummary,
  processes: GroupCpu[],
  diskFlush?: DiskFlushSummary,
): FloorStepFigures {
  // Summed and divided as the load tool does (process-stats: sumToTenth, cpuMsPer).
  const stackCpuPercent = sumToTenth(
    processes.filter((p) => p.name !== DRIVER).map((p) => p.cpuPercent),
  );
  const stackCpuMsPerMessage = cpuMsPer(stackCpuPercent, sampledSeconds, counts.delivered);
  const achieved = tenth(counts.sent / sendSeconds);
  // Delivered messages a second over the sampled time: what a call a second is divided by.
  const perMessage = counts.delivered / sampledSeconds;
  const lost = Math.max(0, counts.sent - counts.delivered);
  const cpu = processes
    .map((p) => {
      const jit = p.jitCpuPercent === undefined ? '' : ` (JIT ${tenth(p.jitCpuPercent)})`;
      const calls =
        p.readsPerSecond === undefined || p.writesPerSecond === undefined || perMessage === 0
          ? ''
          : ` ${hundredth(p.readsPerSecond / perMessage)}/${hundredth(p.writesPerSecond / perMessage)} r/w`;
      return `${p.name} ${tenth(p.cpuPercent)}%${jit}${calls}`;
    })
    .join(', ');
  const line =
    `${rate}/s: achieved ${achieved}/s, delivered ${counts.delivered}/${counts.sent}, acked ` +
    `${counts.acked}, lost ${lost}, out of order ${counts.outOfOrder}; delivery p50 ` +
    `${delivery.p50} / p99 ${delivery.p99} ms; stack ${tenth(stackCpuPercent)}% of a core, ` +
    `${stackCpuMsPerMessage ?? '-'} ms per message (${cpu})` +
    (diskFlush
      ? `; disk flush p50 ${diskFlush.p50Ms} / p99 ${diskFlush.p99Ms} / max ${diskFlush.maxMs} ms, ${diskFlush.slow} slow`
      : '');
  return {
    rate,
    achieved,
    counts,
    lost,
    delivery,
    processes: processes.map((p) => ({
      ...p,
      cpuPercent: tenth(p.cpuPercent),
      ...(p.jitCpuPercent === undefined ? {} : { jitCpuPercent: tenth(p.jitCpuPercent) }),
      ...(p.readsPerSecond === undefined ? {} : { readsPerSecond: tenth(p.readsPerSecond) }),
      ...(p.writesPerSecond === undefined ? {} : { writesPerSecond: tenth(p.writesPerSecond) }),
    })),
    stackCpuPercent,
    stackCpuMsPerMessage,
    ...(diskFlush ? { diskFlush } : {}),
    line,
  };
}
