/**
 * Where a message's milliseconds go: every service observes `parley_message_hop_seconds{hop}`
 * (the time from the gateway accepting a send to each hop of its path, see
 * libs/common/src/observability/message-hops.metrics.ts). The load tool reads the histograms from
 * every gateway and service before and after a step; the difference is the step's.
 */

import type { MetricsPage } from './hop-events';

/** Cumulative bucket counts of one hop: upper bound (seconds) -> count, summed over processes. */
export type HopBuckets = Map<string, Map<number, number>>;

export interface HopSummary {
  hop: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** The hop histograms in a Prometheus text exposition (summed into `into`). */
export function parseHopBuckets(text: string, into: HopBuckets = new Map()): HopBuckets {
  for (const line of text.split('\n')) {
    if (!line.startsWith('parley_message_hop_seconds_bucket{')) continue;
    const hop = /hop="([^"]+)"/.exec(line)?.[1];
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!hop || le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    const buckets = into.get(hop) ?? new Map<number, number>();
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    into.set(hop, buckets);
  }
  return into;
}

/** after - before, bucket by bucket. */
export function diffHopBuckets(before: HopBuckets, after: HopBuckets): HopBuckets {
  const out: HopBuckets = new Map();
  for (const [hop, buckets] of after) {
    const prior = before.get(hop);
    out.set(
      hop,
      new Map([...buckets].map(([le, n]) => [le, Math.max(0, n - (prior?.get(le) ?? 0))])),
    );
  }
  return out;
}

/** The q-quantile of cumulative buckets, interpolated linearly inside its bucket (seconds). */
export function bucketQuantile(buckets: ReadonlyMap<number, number>, q: number): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total =
    buckets.get(Infinity) ?? (bounds.length ? buckets.get(bounds[bounds.length - 1])! : 0);
  if (total <= 0) return 0;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Infinity) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + ((bound - lower) * (rank - below)) / inBucket : bound;
    }
    lower = bound;
    below = count;
  }
  return lower;
}

/**
 * One row per hop that saw messages. Every hop is timed from the same origin (the accept), so
 * ordering by p50 lists them along the message path.
 */
export function summarizeHops(step: HopBuckets): HopSummary[] {
  return [...step]
    .map(([hop, buckets]) => ({
      hop,
      count: buckets.get(Infinity) ?? 0,
      p50Ms: Math.round(bucketQuantile(buckets, 0.5) * 10_000) / 10,
      p99Ms: Math.round(bucketQuantile(buckets, 0.99) * 10_000) / 10,
    }))
    .filter((s) => s.count > 0)
    .sort((a, b) => a.p50Ms - b.p50Ms || a.hop.localeCompare(b.hop));
}

/** The hop histograms of every service's /metrics page, summed. */
export function hopBucketsOf(pages: readonly MetricsPage[]): HopBuckets {
  const into: HopBuckets = new Map();
  for (const page of pages) parseHopBuckets(page.text, into);
  return into;
}
