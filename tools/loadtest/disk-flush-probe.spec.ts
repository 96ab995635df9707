import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskFlushProbe, startDiskFlushProbe, summarizeFlushes } from './disk-flush-probe';

describe('disk flush probe', () => {
  it('summarises flush times: quantiles of the sorted times, the slowest, the stalls', () => {
    // 100 flushes: 1..98 ms, then one of 150 ms and one of 700 ms, given out of order.
    const times = [700, ...Array.from({ length: 98 }, (_, i) => i + 1), 150];
    expect(summarizeFlushes(times)).toEqual({
      count: 100,
      p50Ms: 51,
      p99Ms: 700,
      maxMs: 700,
      slow: 2,
    });
    expect(summarizeFlushes([0.4])).toEqual({
      count: 1,
      p50Ms: 0.4,
      p99Ms: 0.4,
      maxMs: 0.4,
      slow: 0,
    });
    // Kept to a hundredth of a millisecond.
    expect(summarizeFlushes([0.429847, 127.803158])).toMatchObject({ p50Ms: 127.8, maxMs: 127.8 });
    expect(summarizeFlushes([0.429847])).toMatchObject({ p50Ms: 0.43, p99Ms: 0.43 });
    expect(summarizeFlushes([])).toBeUndefined();
  });

  it('times real flushes in its directory, hands each interval out once, leaves no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flush-probe-'));
    const probe = new DiskFlushProbe(dir, 10);
    try {
      await probe.start();
      expect(readdirSync(dir)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const first = probe.take();
      expect(first?.count).toBeGreaterThan(0);
      expect(first?.maxMs).toBeGreaterThanOrEqual(first?.p50Ms ?? Infinity);
      // What was taken is not handed out again.
      const again = probe.take();
      expect(again?.count ?? 0).toBeLessThan(first?.count ?? 0);
    } finally {
      await probe.stop();
    }
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses to start where it cannot write, and stops at once after its worker has ended', async () => {
    const probe = new DiskFlushProbe(join(tmpdir(), `flush-probe-missing-${process.pid}`), 10);
    await expect(probe.start()).rejects.toThrow(/ENOENT/);
    await probe.stop();
    expect(probe.take()).toBeUndefined();
  });

  it('starts in a directory it makes, or says why not and gives no probe', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flush-probe-start-'));
    const warnings: string[] = [];
    try {
      const probe = await startDiskFlushProbe((line) => warnings.push(line), join(root, 'a', 'b'));
      expect(probe).toBeDefined();
      expect(readdirSync(join(root, 'a', 'b'))).toHaveLength(1);
      await probe?.stop();
      expect(readdirSync(join(root, 'a', 'b'))).toEqual([]);
      // A directory below a file cannot be made.
      writeFileSync(join(root, 'file'), '');
      expect(
        await startDiskFlushProbe((line) => warnings.push(line), join(root, 'file', 'x')),
      ).toBeUndefined();
      expect(warnings).toEqual([
        expect.stringMatching(/^warning: the disk's flushes are not timed \(.*ENOTDIR/),
      ]);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});
