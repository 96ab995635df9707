/**
 * What a Node service's garbage collector took: every service exports prom-client's
 * `nodejs_gc_duration_seconds{kind}` (minor, major, incremental, weakcb) on its /metrics. The
 * load tool reads it before and after a step, as it reads the hop trace, and shows each
 * process's GC time beside its CPU: the service's main thread stands still for it, and it grows
 * with what a message allocates (docs/PERFORMANCE.md).
 */

import { parseCounterByLabel, type MetricsPage } from './hop-events';
import type { ProcessStat } from './process-stats';

export const GC_SECONDS_METRIC = 'nodejs_gc_duration_seconds_sum';

/**
 * The page's GC seconds over every kind, under the process name the process table uses
 * (`gateway:<port>` for a gateway, else the service's own name), or undefined when the page
 * has none.
 */
export function gcSecondsOf(page: MetricsPage): { name: string; seconds: number } | undefined {
  const byService = parseCounterByLabel(page.text, GC_SECONDS_METRIC, 'service');
  const [service] = byService.keys();
  if (service === undefined) return undefined;
  let seconds = 0;
  for (const value of byService.values()) seconds += value;
  const name = service === 'gateway' ? `gateway:${new URL(page.url).port}` : service;
  return { name, seconds };
}

/** GC seconds by process name, summed over the pages (a service's replicas add up). */
export function gcSecondsByProcess(pages: readonly MetricsPage[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const page of pages) {
    const gc = gcSecondsOf(page);
    if (gc) out.set(gc.name, (out.get(gc.name) ?? 0) + gc.seconds);
  }
  return out;
}

/**
 * The processes with `gcPercent` (GC seconds per second over `seconds`, in percent, to
 * hundredths) where both readings have the process; a service restarted in between (its counter
 * fell) gets none.
 */
export function withGcShares(
  processes: readonly ProcessStat[],
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  seconds: number,
): ProcessStat[] {
  return processes.map((p) => {
    const start = before.get(p.name);
    const end = after.get(p.name);
    if (start === undefined || end === undefined || end < start || seconds <= 0) return p;
    return { ...p, gcPercent: Math.round(((end - start) / seconds) * 10_000) / 100 };
  });
}
