import { constants, PerformanceObserver } from 'node:perf_hooks';
import { SETTLED_MEMORY_INTERVAL_MS, SettledMemoryReader } from './settled-memory';

const usage = (rss: number): NodeJS.MemoryUsage => ({
  rss,
  heapTotal: 0,
  heapUsed: rss / 2,
  external: 3,
  arrayBuffers: 1,
});

describe('SettledMemoryReader', () => {
  it('collects garbage before it reads, and at most once per interval', () => {
    let now = 1_000_000;
    let collections = 0;
    let rss = 100;
    const reader = new SettledMemoryReader(
      () => now,
      () => () => collections++,
      () => usage(rss),
    );

    expect(reader.read()).toEqual({
      rssBytes: 100,
      heapUsedBytes: 50,
      externalBytes: 3,
      arrayBuffersBytes: 1,
      collectedAt: new Date(1_000_000).toISOString(),
      nextCollectionAt: new Date(1_000_000 + SETTLED_MEMORY_INTERVAL_MS).toISOString(),
    });
    expect(collections).toBe(1);

    rss = 200;
    now += SETTLED_MEMORY_INTERVAL_MS - 1;
    expect(reader.read().rssBytes).toBe(100);
    expect(collections).toBe(1);

    now += 1;
    expect(reader.read().rssBytes).toBe(200);
    expect(collections).toBe(2);
  });

  it("runs V8's full collection without --expose-gc", async () => {
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        kinds.push((entry as unknown as { detail: { kind: number } }).detail.kind);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const memory = new SettledMemoryReader().read();
      expect(memory.rssBytes).toBeGreaterThan(memory.heapUsedBytes);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MAJOR);
    } finally {
      observer.disconnect();
    }
  });
});
