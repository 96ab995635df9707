import { Histogram, HistogramJson } from './histogram';

describe('Histogram', () => {
  it('reports exact percentiles for small values and within 0.4% for large ones', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v / 1000); // 1..100 µs
    expect(h.percentile(50)).toBeCloseTo(0.05, 6);
    expect(h.percentile(99)).toBeCloseTo(0.099, 6);

    const big = new Histogram();
    const values = Array.from({ length: 10_000 }, (_, i) => (i + 1) * 0.37); // 0.37 .. 3700 ms
    for (const v of values) big.record(v);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1];
      const got = big.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exact - 0.001);
      expect(Math.abs(got - exact) / exact).toBeLessThan(0.004);
    }
    expect(big.max).toBeCloseTo(3700, 6);
    expect(big.summary()).toMatchObject({ count: 10_000, max: 3700 });
  });

  it('never reports a percentile above the maximum recorded value', () => {
    const h = new Histogram();
    h.record(1234.5678);
    expect(h.percentile(100)).toBe(1234.5678);
    expect(h.percentile(1)).toBeLessThanOrEqual(1234.5678);
    expect(h.percentile(1)).toBeGreaterThan(1229);
  });

  it('merges histograms sent as JSON (workers → coordinator) like one histogram', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 1000; i++) {
      const v = (i * 7919) % 500;
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    const merged = Histogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())) as HistogramJson);
    merged.merge(JSON.parse(JSON.stringify(b.toJSON())) as HistogramJson);
    expect(merged.summary()).toEqual(all.summary());
  });

  it('is empty-safe and clamps negatives to zero', () => {
    const h = new Histogram();
    expect(h.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
    h.record(-5);
    expect(h.summary()).toMatchObject({ count: 1, p50: 0, max: 0 });
  });
});
