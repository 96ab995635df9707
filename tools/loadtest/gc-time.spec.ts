import { gcSecondsByProcess, gcSecondsOf, withGcShares } from './gc-time';
import type { ProcessStat } from './process-stats';

const page = (url: string, service: string, minor: number, major: number) => ({
  url,
  text: [
    '# HELP nodejs_gc_duration_seconds Garbage collection duration by kind.',
    '# TYPE nodejs_gc_duration_seconds histogram',
    `nodejs_gc_duration_seconds_bucket{le="0.1",service="${service}",kind="minor"} 8`,
    `nodejs_gc_duration_seconds_sum{service="${service}",kind="minor"} ${minor}`,
    `nodejs_gc_duration_seconds_count{service="${service}",kind="minor"} 8`,
    `nodejs_gc_duration_seconds_sum{service="${service}",kind="major"} ${major}`,
    'nodejs_heap_size_total_bytes{service="x"} 1',
  ].join('\n'),
});

const stat = (name: string): ProcessStat => ({ name, processes: 1, cpuPercent: 20, rssMiB: 100 });

describe('gcSecondsOf', () => {
  it('sums every kind, under the process table name', () => {
    expect(gcSecondsOf(page('http://127.0.0.1:3001', 'gateway', 0.25, 0.5))).toEqual({
      name: 'gateway:3001',
      seconds: 0.75,
    });
    expect(gcSecondsOf(page('http://127.0.0.1:3012', 'storage', 1, 2))).toEqual({
      name: 'storage',
      seconds: 3,
    });
  });

  it('is undefined for a page without the metric', () => {
    expect(gcSecondsOf({ url: 'http://127.0.0.1:3012', text: 'up 1\n' })).toBeUndefined();
  });
});

describe('gcSecondsByProcess and withGcShares', () => {
  it('gives each process its GC time as a share of a core over the interval', () => {
    const before = gcSecondsByProcess([
      page('http://127.0.0.1:3000', 'gateway', 1, 0),
      page('http://127.0.0.1:3012', 'storage', 2, 1),
      page('http://127.0.0.1:3112', 'storage', 0.5, 0),
    ]);
    const after = gcSecondsByProcess([
      page('http://127.0.0.1:3000', 'gateway', 1.5, 0.1),
      page('http://127.0.0.1:3012', 'storage', 3, 1.2),
      page('http://127.0.0.1:3112', 'storage', 0.7, 0),
    ]);
    expect(after.get('storage')).toBeCloseTo(4.9, 9);
    const shares = withGcShares(
      [stat('gateway:3000'), stat('storage'), stat('kafka')],
      before,
      after,
      40,
    );
    expect(shares.map((p) => [p.name, p.gcPercent])).toEqual([
      ['gateway:3000', 1.5],
      ['storage', 3.5],
      ['kafka', undefined],
    ]);
  });

  it('leaves out a process whose counter fell (it restarted) or that one reading lacks', () => {
    const shares = withGcShares(
      [stat('storage'), stat('session')],
      new Map([
        ['storage', 5],
        ['session', 1],
      ]),
      new Map([['storage', 1]]),
      30,
    );
    expect(shares.every((p) => p.gcPercent === undefined)).toBe(true);
  });
});
