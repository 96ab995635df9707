import { Histogram } from './histogram';
import { emptyCounters, type StepResult } from './ipc';
import {
  holdWindow,
  holdWindowBounds,
  memoryPerGateway,
  parseSettledMemory,
} from './connect.workload';
import { buildPairsReport } from './pairs.workload';
import {
  formatConnectTable,
  formatNumber,
  formatPairsTable,
  formatProcessTable,
  formatUploadsTable,
  PairsStepReport,
  renderTable,
} from './report';

function result(
  partial: Partial<StepResult> & { ackMs?: number[]; deliveryMs?: number[]; lagMs?: number[] },
): StepResult {
  const h = (values: number[] = []) => {
    const histogram = new Histogram();
    for (const v of values) histogram.record(v);
    return histogram.toJSON();
  };
  return {
    type: 'stepResult',
    workerIndex: 0,
    step: 0,
    counters: emptyCounters(),
    errors: {},
    ack: h(partial.ackMs),
    delivery: h(partial.deliveryMs),
    lag: h(partial.lagMs),
    ackedIds: [],
    deliveredIds: [],
    lastAckAt: 0,
    unacked: 0,
    ...partial,
  };
}

const context = {
  step: 0,
  startedAt: new Date('2026-11-21T07:00:00Z'),
  offeredRate: 2,
  durationS: 2,
  drainS: 1,
  users: 4,
  gateways: ['http://127.0.0.1:3000'],
  p99LimitMs: 250,
  lagLimitMs: 50,
  stepStartMs: 1_000_000,
  generatorCpuPercent: 20,
  generatorProcesses: 3,
};

describe('pairs step report', () => {
  it('joins acks and deliveries across workers: a message acked by one and delivered by another is not lost', () => {
    const w0 = result({
      workerIndex: 0,
      counters: {
        ...emptyCounters(),
        sent: 2,
        accepted: 2,
        acked: 2,
        delivered: 1,
      },
      ackedIds: [0, 2],
      deliveredIds: [1],
      ackMs: [10, 12],
      deliveryMs: [20],
      lagMs: [0.1, 0.2],
      lastAckAt: 1_001_500,
    });
    const w1 = result({
      workerIndex: 1,
      counters: {
        ...emptyCounters(),
        sent: 2,
        accepted: 2,
        acked: 2,
        delivered: 2,
        resynced: 1,
      },
      ackedIds: [1, 3],
      deliveredIds: [0, 2],
      ackMs: [11, 13],
      deliveryMs: [21, 22],
      lagMs: [0.1, 0.3],
      lastAckAt: 1_001_900,
    });
    const report = buildPairsReport([w0, w1], context);
    expect(report).toMatchObject({
      sent: 4,
      acked: 4,
      delivered: 3,
      lost: 1,
      resynced: 1,
      duplicates: 0,
      passed: false,
    });
    expect(report.failReasons).toEqual(['1 lost']);
    expect(report.achievedRate).toBe(2); // 4 acks over the 2 s step
    expect(report.deliveryLatencyMs).toMatchObject({ count: 3, max: 22 });
    expect(report.deliveryLatencyMs.p50).toBeCloseTo(21, 0); // within the histogram's 0.4%
    expect(report.generatorBehind).toBe(false);
  });

  it('fails on delivery p99 over the limit and flags a generator that fell behind', () => {
    const report = buildPairsReport(
      [
        result({
          counters: {
            ...emptyCounters(),
            sent: 1,
            accepted: 1,
            acked: 1,
            delivered: 1,
          },
          ackedIds: [0],
          deliveredIds: [0],
          deliveryMs: [400],
          lagMs: [80],
          lastAckAt: 1_004_000, // acks trailed 4 s into the drain: achieved = 1 / 4 s
        }),
      ],
      context,
    );
    expect(report.passed).toBe(false);
    expect(report.failReasons).toEqual(['delivery p99 > 250 ms']);
    expect(report.generatorBehind).toBe(true);
    expect(report.achievedRate).toBe(0.3);
  });
});

describe('report formatting', () => {
  it('renders aligned tables: numbers right, text left', () => {
    expect(
      renderTable(
        ['name', 'n'],
        [
          ['a', 1],
          ['bbb', 22.5],
        ],
      ).split('\n'),
    ).toEqual(['name     n', '----  ----', 'a        1', 'bbb   22.5']);
    expect(formatNumber(1234.567)).toBe('1235');
    expect(formatNumber(3.14159)).toBe('3.14');
  });

  it("shows a broker's compilers and a service's collector as parts of their CPU", () => {
    const table = formatProcessTable([
      [
        '1000/s',
        [
          { name: 'gateway:3000', processes: 1, cpuPercent: 24.4, rssMiB: 245, gcPercent: 2.61 },
          { name: 'kafka', processes: 1, cpuPercent: 18.9, rssMiB: 479, jitCpuPercent: 0.89 },
          { name: 'postgres', processes: 9, cpuPercent: 15.9, rssMiB: 226 },
        ],
      ],
    ]).split('\n');
    expect(table[2]).toMatch(/^gateway:3000\s+24\.4% \(GC 2\.61\) \/ 245$/);
    expect(table[3]).toMatch(/^kafka\s+18\.9% \(JIT 0\.89\) \/ 479$/);
    expect(table[4]).toMatch(/^postgres\s+15\.9% \/ 226$/);
  });

  it('prints one row per pairs step with latencies, losses, the verdict and the process table', () => {
    const summary = { count: 10, p50: 5, p90: 8.5, p99: 12.25, max: 30, mean: 6 };
    const step: PairsStepReport = {
      ...buildPairsReport([result({})], context),
      sent: 100,
      acked: 100,
      delivered: 100,
      receipts: 95,
      achievedRate: 99.5,
      ackLatencyMs: summary,
      deliveryLatencyMs: summary,
      passed: true,
      failReasons: [],
      errors: { error_unavailable: 2 },
      stackCpuMsPerMessage: 1.25,
      hops: [{ hop: 'storage_committed', count: 100, p50Ms: 4.5, p99Ms: 20 }],
      processes: [{ name: 'gateway:3000', processes: 1, cpuPercent: 42.5, rssMiB: 150.2 }],
      ioCallsPerMessage: [{ name: 'gateway:3000', reads: 1.5, writes: 2.25 }],
    };
    const text = formatPairsTable([step]);
    expect(text).toMatch(/process \(read \/ write calls per message\)\s+2\/s/);
    expect(text).toMatch(/gateway:3000\s+1\.50 \/ 2\.25$/m);
    expect(formatPairsTable([{ ...step, ioCallsPerMessage: [] }])).not.toContain('write calls');
    // Times on a core as a third figure once any process carries them ('-' where one does not).
    const scheduled = formatPairsTable([
      {
        ...step,
        ioCallsPerMessage: [
          { name: 'gateway:3000', reads: 1.5, writes: 2.25, onCore: 4.75 },
          { name: 'postgres', reads: 0.01, writes: 0.2 },
        ],
      },
    ]);
    expect(scheduled).toMatch(
      /process \(read \/ write calls \/ times on a core, per message\)\s+2\/s/,
    );
    expect(scheduled).toMatch(/gateway:3000\s+1\.50 \/ 2\.25 \/ 4\.75$/m);
    expect(scheduled).toMatch(/postgres\s+0\.01 \/ 0\.20 \/ -$/m);
    // Run-queue waits only when the processes carry them.
    expect(text).not.toContain('waited for a core');
    const waiting = formatPairsTable([
      {
        ...step,
        processes: [{ ...step.processes[0], waitPercent: 12.5 }],
        cpuPressurePercent: 40,
        outsideCpuPercent: 15.5,
      },
    ]);
    expect(waiting).toMatch(/waited for a core \(% of a second\)\s+2\/s/);
    expect(waiting).toMatch(/gateway:3000\s+12\.5%$/m);
    expect(waiting).toMatch(/machine: some task waiting\s+40%$/m);
    expect(waiting).toMatch(/machine: CPU outside these processes\s+15\.5%$/m);
    // A figure the machine did not give reads as a dash.
    expect(waiting).toMatch(/machine: CPU stolen by the host\s+-$/m);
    expect(waiting).toMatch(/machine: disk flush ms p50 \/ p99 \/ max \(≥100 ms\)\s+-$/m);
    const stalled = formatPairsTable([
      {
        ...step,
        processes: [{ ...step.processes[0], waitPercent: 12.5 }],
        ioPressurePercent: 7.5,
        diskFlush: { count: 300, p50Ms: 0.58, p99Ms: 51, maxMs: 750, slow: 2 },
      },
    ]);
    expect(stalled).toMatch(/machine: some task waiting for the disk\s+7\.50%$/m);
    expect(stalled).toMatch(
      /machine: disk flush ms p50 \/ p99 \/ max \(≥100 ms\)\s+0\.58 \/ 51 \/ 750 \(2\)$/m,
    );
    expect(text).toContain('stack cpu ms/msg');
    expect(text).toContain('receipts/msg');
    expect(text).toMatch(/\s0\.95\s/); // 95 receipts for 100 delivered
    expect(text).toMatch(/storage_committed\s+4\.50 \/ 20/);
    expect(text).toContain('delivery ms p50/p90/p99/max');
    expect(text).toContain('5/8.50/12.3/30');
    expect(text).toContain('pass');
    expect(text).toContain('errors at 2/s: error_unavailable:2\n');
    expect(text).toMatch(/gateway:3000\s+42\.5% \/ 150/);
    const resynced = formatPairsTable([{ ...step, errors: { sync_required_gap: 3 }, resynced: 7 }]);
    expect(resynced).toContain('errors at 2/s: sync_required_gap:3 (7 delivered via sync)\n');
  });

  it('images: marks the run with uploads in the pairs table and prints what the uploads did', () => {
    const summary = { count: 10, p50: 5, p90: 8.5, p99: 12.25, max: 30, mean: 6 };
    const alone: PairsStepReport = {
      ...buildPairsReport([result({})], context),
      stackCpuMsPerMessage: 1.25,
      hops: [],
      processes: [],
    };
    const beside: PairsStepReport = {
      ...alone,
      uploads: {
        offeredPerS: 1,
        photoBytes: 3 * 1024 * 1024,
        started: 30,
        skipped: 1,
        uploaded: 29,
        delivered: 28,
        errors: { http_503: 1 },
        uploadMs: { ...summary, p50: 240 },
        uploadToDeliveredMs: { ...summary, p50: 262 },
        workerCpuMsPerImage: 151.5,
      },
    };
    const pairs = formatPairsTable([alone, beside]);
    expect(pairs).toMatch(/^2 \+img\s/m);
    const uploads = formatUploadsTable([alone, beside]).split('\n');
    expect(uploads).toHaveLength(3); // header, rule, the one run with uploads
    expect(uploads[0]).toContain('upload->delivered ms p50/p90/p99/max');
    expect(uploads[2]).toMatch(
      /^\s*2\s+1\s+3072\s+30\s+1\s+29\s+28\s+240\/8\.50\/12\.3\/30\s+262\//,
    );
    expect(uploads[2]).toMatch(/152\s+http_503:1$/);
  });

  it('reads settled memory from /metrics/memory and divides growth by the sockets on each gateway', () => {
    expect(
      parseSettledMemory({
        rssBytes: 123456789,
        heapUsedBytes: 1,
        collectedAt: '2026-11-23T18:00:00.000Z',
        nextCollectionAt: '2026-11-23T18:00:10.000Z',
      }),
    ).toEqual({
      rssBytes: 123456789,
      collectedAt: '2026-11-23T18:00:00.000Z',
      nextCollectionAt: '2026-11-23T18:00:10.000Z',
    });
    expect(
      parseSettledMemory({
        rssBytes: 123456789,
        heapUsedBytes: 1000,
        externalBytes: 24,
        collectedAt: '2026-11-23T18:00:00.000Z',
        nextCollectionAt: '2026-11-23T18:00:10.000Z',
      })?.liveBytes,
    ).toBe(1024);
    expect(parseSettledMemory({ rssBytes: 1, collectedAt: '2026-11-23' })).toBeUndefined();
    expect(
      parseSettledMemory({
        rssBytes: '1',
        collectedAt: '2026-11-23',
        nextCollectionAt: '2026-11-23',
      }),
    ).toBeUndefined();
    expect(parseSettledMemory(null)).toBeUndefined();
    const memory = memoryPerGateway(
      ['http://127.0.0.1:3000', 'http://localhost:3001', 'http://127.0.0.1:3002'],
      { 'ws://127.0.0.1:3000/ws': 100, 'ws://127.0.0.1:3001/ws': 50 },
      [
        { rssBytes: 100 * 1048576, liveBytes: 40 * 1048576 },
        { rssBytes: 100 * 1048576 },
        undefined,
      ],
      [
        { rssBytes: 110 * 1048576, liveBytes: 41 * 1048576 },
        { rssBytes: 101 * 1048576 },
        undefined,
      ],
    );
    expect(
      memory.map((m) => [m.connections, m.bytesPerConnection, m.liveBytesPerConnection]),
    ).toEqual([
      [100, 104858, 10486],
      [50, 20972, null],
      [0, null, null],
    ]);
    const text = formatConnectTable({
      workload: 'connect',
      devices: 'returning',
      startedAt: '',
      users: 10,
      workers: 1,
      gateways: [],
      requested: 165,
      connected: 165,
      failed: 0,
      elapsedS: 1.65,
      connectRate: 100,
      connectLatencyMs: { count: 165, p50: 3, p90: 5, p99: 9, max: 10, mean: 3 },
      errors: {},
      baselineConnections: 15,
      memory,
      generatorCpuPercent: 30,
      cpuPerConnect: { stackMs: 5.31, gatewaysMs: 3.42, generatorMs: 1.4 },
      processes: [],
      holdProcesses: [{ name: 'gateway:3000', processes: 1, cpuPercent: 4.2, rssMiB: 110 }],
      holdStackCpuPercent: 4.2,
      holdSeconds: 25,
      holdWindows: [
        {
          fromS: 5,
          toS: 65,
          stackCpuPercent: 5.9,
          gatewaysCpuPercent: 2.5,
          kafkaJitCpuPercent: 1.1,
        },
        {
          fromS: 65,
          toS: 125,
          stackCpuPercent: 4.4,
          gatewaysCpuPercent: 1.3,
          kafkaJitCpuPercent: null,
        },
      ],
    });
    expect(text).toMatch(/http:\/\/127\.0\.0\.1:3000\s+100\s+100\s+110\s+102/);
    // The stack's CPU while the sockets were held, in the summary and per process.
    expect(text).toMatch(/idle stack cpu%/);
    expect(text).toMatch(/^devices\s+requested/);
    expect(text).toMatch(/\nreturning\s+165\s+165/);
    // CPU per connect over the ramp: the stack's (its gateways') and the generator's.
    expect(text).toMatch(/cpu ms\/connect: stack \(gateways\) \/ gen/);
    expect(text).toMatch(/\s30\s+5\.31 \(3\.42\) \/ 1\.40\s/);
    expect(text).toMatch(/held 25 s/);
    expect(text).toMatch(/gateway:3000\s+-\s+4\.2/);
    // The hold window by window, with the broker's JIT compiler's share.
    expect(text).toMatch(/hold, s after the ramp\s+5-65\s+65-125/);
    expect(text).toMatch(/idle stack cpu%\s+5\.90\s+4\.40/);
    expect(text).toMatch(/of which the gateways\s+2\.50\s+1\.30/);
    expect(text).toMatch(/of which Kafka's JIT compiler\s+1\.10\s+-/);
    // No waits read: no wait table.
    expect(text).not.toContain('waited for a core');
  });

  it("shows the connect ramp's and the hold's waits for a core when they were read", () => {
    const base = {
      workload: 'connect' as const,
      devices: 'returning' as const,
      startedAt: '',
      users: 10,
      workers: 1,
      gateways: [],
      requested: 10,
      connected: 10,
      failed: 0,
      elapsedS: 1,
      connectRate: 10,
      connectLatencyMs: { count: 10, p50: 3, p90: 5, p99: 9, max: 10, mean: 3 },
      errors: {},
      baselineConnections: 1,
      memory: [],
      generatorCpuPercent: 30,
      holdStackCpuPercent: 4.2,
      holdSeconds: 25,
    };
    const text = formatConnectTable({
      ...base,
      processes: [
        { name: 'gateway:3000', processes: 1, cpuPercent: 80, rssMiB: 110, waitPercent: 55.5 },
      ],
      holdProcesses: [
        { name: 'gateway:3000', processes: 1, cpuPercent: 4.2, rssMiB: 110, waitPercent: 0.5 },
      ],
      machine: { cpuPressurePercent: 70, outsideCpuPercent: 3, stealCpuPercent: 0 },
      holdMachine: { cpuPressurePercent: 1.5, outsideCpuPercent: 0.5, stealCpuPercent: 0 },
    });
    expect(text).toMatch(/waited for a core \(% of a second\)\s+ramp\s+held 25 s/);
    expect(text).toMatch(/gateway:3000\s+55\.5%\s+0\.50%$/m);
    expect(text).toMatch(/machine: some task waiting\s+70%\s+1\.50%$/m);
    expect(text).toMatch(/machine: CPU outside these processes\s+3%\s+0\.50%$/m);
    expect(text).toMatch(/machine: CPU stolen by the host\s+0%\s+0%$/m);
  });

  it('cuts the measured hold into minute windows, a short tail joining the window before', () => {
    expect(holdWindowBounds(60, 150)).toEqual([
      [60, 120],
      [120, 150],
    ]);
    expect(holdWindowBounds(60, 200)).toEqual([
      [60, 120],
      [120, 200],
    ]);
    expect(holdWindowBounds(2.5, 5)).toEqual([[2.5, 5]]);
    expect(holdWindowBounds(0, 0)).toEqual([]);
  });

  it("sums a window's stack, its gateways and the broker's compiler (the generator left out)", () => {
    const stat = (name: string, cpuPercent: number, jitCpuPercent?: number) => ({
      name,
      processes: 1,
      cpuPercent,
      rssMiB: 1,
      ...(jitCpuPercent === undefined ? {} : { jitCpuPercent }),
    });
    expect(
      holdWindow(60, 120, [
        stat('gateway:3000', 0.64),
        stat('gateway:3001', 0.72),
        stat('session', 0.43),
        stat('kafka', 1.74, 0.32),
        stat('generator', 0.85),
      ]),
    ).toEqual({
      fromS: 60,
      toS: 120,
      stackCpuPercent: 3.5,
      gatewaysCpuPercent: 1.4,
      kafkaJitCpuPercent: 0.3,
    });
    expect(holdWindow(0, 60, [stat('session', 0.4)]).kafkaJitCpuPercent).toBeNull();
  });
});
