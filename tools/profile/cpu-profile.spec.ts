import { callersOf, type CpuProfile, cpuProfileSchema, placeOf, summarise } from './cpu-profile';

const frame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
});
const STORAGE = 'file:///work/dist/apps/storage/src/fanout/delivery.publisher.js';
const IOREDIS = 'file:///work/node_modules/ioredis/built/Pipeline.js';

/**
 * root ─ (idle)
 *      ├ (garbage collector)
 *      └ publish (storage) ─ exec (ioredis) ─ writev (native)
 *                          └ writev (native)
 * Samples, 1 ms apart: idle, idle, gc, publish, exec, writev under exec ×3, writev under publish.
 */
function profile(): CpuProfile {
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(garbage collector)') },
    { id: 4, callFrame: frame('publish', STORAGE, 40), children: [5, 7] },
    { id: 5, callFrame: frame('exec', IOREDIS, 291), children: [6] },
    { id: 6, callFrame: frame('writev') },
    { id: 7, callFrame: frame('writev') },
  ];
  const samples = [2, 2, 3, 4, 5, 6, 6, 6, 7];
  return {
    nodes,
    startTime: 0,
    endTime: samples.length * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

describe('CPU profile summary', () => {
  it('names where code lives: a package, a Node module, a directory of this repository, V8', () => {
    expect(placeOf(frame('exec', IOREDIS))).toBe('ioredis');
    expect(placeOf(frame('x', 'file:///w/node_modules/@nestjs/core/a.js'))).toBe('@nestjs/core');
    expect(placeOf(frame('x', 'node:internal/streams/writable'))).toBe('node:streams');
    expect(placeOf(frame('x', 'node:net'))).toBe('node:net');
    expect(placeOf(frame('publish', STORAGE))).toBe('apps/storage/src/fanout');
    expect(placeOf(frame('x', 'file:///w/dist/tools/loadtest/worker.js'))).toBe('tools/loadtest');
    expect(placeOf(frame('(garbage collector)'))).toBe('(garbage collector)');
    expect(placeOf(frame('writev'))).toBe('(native)');
  });

  it('counts self time of busy samples only, by place and by function', () => {
    const byPlace = summarise(profile(), { by: 'place' });
    expect(byPlace).toMatchObject({ samples: 9, busy: 7 });
    expect(byPlace.rows.map((r) => [r.key, r.samples])).toEqual([
      ['(native)', 4],
      ['(garbage collector)', 1],
      ['apps/storage/src/fanout', 1],
      ['ioredis', 1],
    ]);
    expect(byPlace.rows[0].share).toBeCloseTo(4 / 7);
    const byFunction = summarise(profile(), { by: 'function' });
    expect(byFunction.rows[0]).toMatchObject({ key: 'writev (native):0', samples: 4 });
    expect(byFunction.rows.map((r) => r.key)).toContain('publish apps/storage/src/fanout:41');
  });

  it('keeps only the last seconds when asked', () => {
    // The last 3 ms: samples at 7, 8 and 9 ms (writev under exec twice, under publish once).
    const late = summarise(profile(), { by: 'function', lastSeconds: 0.002 });
    expect(late).toMatchObject({ samples: 3, busy: 3 });
    expect(late.rows).toEqual([{ key: 'writev (native):0', samples: 3, share: 1 }]);
  });

  it("groups a frame's samples by their callers, nearest first", () => {
    const callers = callersOf(profile(), { frame: /^writev$/, depth: 2 });
    expect(callers.rows.map((r) => [r.key, r.samples])).toEqual([
      ['exec ioredis:292 < publish apps/storage/src/fanout:41', 3],
      ['publish apps/storage/src/fanout:41', 1],
    ]);
  });

  it('refuses a file that is not a CPU profile', () => {
    expect(cpuProfileSchema.safeParse({ nodes: [], samples: [] }).success).toBe(false);
  });
});
