/**
 * A log-linear latency histogram in the spirit of HdrHistogram: values (milliseconds, recorded
 * with microsecond resolution) below 512 µs are exact; above, each power of two is split into 256
 * buckets, so a reported percentile is within 0.4% of the true value. Constant memory, O(1)
 * record, and mergeable: workers send `toJSON()` over IPC and the coordinator `merge`s them.
 */
const SUB_BITS = 8;
const SUB = 1 << SUB_BITS; // 256 sub-buckets per power of two
const LINEAR = SUB * 2; // values below this (µs) are counted exactly
const MAX_EXPONENT = 42; // 2^42 µs ≈ 51 days: anything larger is clamped
const SIZE = LINEAR + (MAX_EXPONENT - SUB_BITS) * SUB;

export interface HistogramJson {
  count: number;
  min: number;
  max: number;
  sum: number;
  /** Sparse [bucketIndex, count] pairs. */
  buckets: Array<[number, number]>;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function bucketOf(micros: number): number {
  if (micros < LINEAR) return micros;
  let exponent = Math.floor(Math.log2(micros));
  // Guard against floating-point error at exact powers of two.
  if (2 ** exponent > micros) exponent -= 1;
  else if (2 ** (exponent + 1) <= micros) exponent += 1;
  if (exponent >= MAX_EXPONENT) return SIZE - 1;
  const shift = exponent - SUB_BITS;
  const sub = Math.floor(micros / 2 ** shift); // in [SUB, 2*SUB)
  return LINEAR + (exponent - SUB_BITS - 1) * SUB + (sub - SUB);
}

/** The highest value (µs) that falls in a bucket (what HdrHistogram reports for a percentile). */
function highestOf(index: number): number {
  if (index < LINEAR) return index;
  const offset = index - LINEAR;
  const exponent = Math.floor(offset / SUB) + SUB_BITS + 1;
  const sub = (offset % SUB) + SUB;
  const shift = exponent - SUB_BITS;
  return (sub + 1) * 2 ** shift - 1;
}

export class Histogram {
  private counts = new Float64Array(SIZE);
  count = 0;
  /** Milliseconds. */
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records one value in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    this.counts[bucketOf(Math.round(value * 1000))] += 1;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** The value (ms) at or below which `p` percent of the recorded values fall; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(highestOf(i) / 1000, this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: round3(this.percentile(50)),
      p90: round3(this.percentile(90)),
      p99: round3(this.percentile(99)),
      max: round3(this.max),
      mean: round3(this.count === 0 ? 0 : this.sum / this.count),
    };
  }

  merge(other: Histogram | HistogramJson): void {
    const json = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, n] of json.buckets) this.counts[index] += n;
    this.count += json.count;
    this.sum += json.sum;
    if (json.count > 0) {
      this.min = Math.min(this.min, json.min);
      this.max = Math.max(this.max, json.max);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i]]);
    return {
      count: this.count,
      min: this.count ? this.min : 0,
      max: this.max,
      sum: this.sum,
      buckets,
    };
  }

  static fromJSON(json: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
