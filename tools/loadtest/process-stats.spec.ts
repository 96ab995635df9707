import {
  classifyProcess,
  pressurePercent,
  machineShares,
  foldSample,
  IMAGE_WORKER,
  cpuPerConnect,
  stackCpuMsPer,
  stackCpuPercent,
  diffSamples,
  ioCallsPer,
  isJitCompilerThread,
  parseEnvPort,
  parseIo,
  parseMachineCpuTicks,
  parsePressureUs,
  parseKafkaListenerPort,
  parseRss,
  parseSchedstat,
  parseStat,
  ProcessGroupSample,
  StackProcessFilter,
} from './process-stats';

const filter: StackProcessFilter = {
  gatewayPorts: [5100, 5101],
  servicePorts: [5110, 5111, 5112],
  kafkaPorts: [19292],
  generatorPids: [],
};

describe('process stats from /proc', () => {
  it('reads utime + stime from /proc/<pid>/stat, even when comm has spaces and parentheses', () => {
    const stat =
      '4729 (node (x) y) S 4700 4700 4700 0 -1 4194560 52000 0 0 0 1500 250 0 0 20 0 11 0 12345 1100000000 30000 18446744073709551615';
    expect(parseStat(stat)).toEqual({ comm: 'node (x) y', ticks: 1750 });
  });

  it('reads VmRSS from /proc/<pid>/status', () => {
    expect(parseRss('Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 1 kB\n')).toBe(
      123456 * 1024,
    );
    expect(parseRss('Name:\tkworker\n')).toBe(0);
  });

  it('finds PORT in a NUL-separated environ and the listener port in server.properties', () => {
    expect(parseEnvPort('PATH=/usr/bin\0PORT=5101\0HOST=127.0.0.1\0')).toBe(5101);
    expect(parseEnvPort('PATH=/usr/bin\0')).toBeUndefined();
    expect(
      parseKafkaListenerPort(
        'node.id=1\nlisteners=PLAINTEXT://127.0.0.1:19292,CONTROLLER://127.0.0.1:19293\n',
      ),
    ).toBe(19292);
  });

  it('classifies the stack under test and ignores other stacks on the same machine', () => {
    const node = (app: string) => `/usr/bin/node\0/work/main/dist/apps/${app}/src/main.js\0`;
    expect(classifyProcess('node', node('gateway'), 5101, filter)).toBe('gateway:5101');
    expect(classifyProcess('node', node('gateway'), 3000, filter)).toBeUndefined();
    expect(classifyProcess('node', node('storage'), 5112, filter)).toBe('storage');
    expect(classifyProcess('node', node('session'), 4010, filter)).toBeUndefined();
    expect(classifyProcess('postgres', '', undefined, filter)).toBe('postgres');
    expect(classifyProcess('redis-server', '', undefined, filter)).toBe('redis');
    const kafka = 'java\0-cp\0lib/*\0kafka.Kafka\0/data/server.properties\0';
    expect(classifyProcess('java', kafka, undefined, filter, () => 19292)).toBe('kafka');
    expect(classifyProcess('java', kafka, undefined, filter, () => 9092)).toBeUndefined();
    // A cluster's brokers, one figure.
    const cluster = { ...filter, kafkaPorts: [9092, 9093, 9094] };
    expect(classifyProcess('java', kafka, undefined, cluster, () => 9093)).toBe('kafka');
    expect(classifyProcess('java', kafka, undefined, cluster, () => 19292)).toBeUndefined();
    // A second replica of storage, at basePort+12+100.
    expect(
      classifyProcess('node', node('storage'), 5212, { ...filter, servicePorts: [5112, 5212] }),
    ).toBe('storage');
    expect(
      classifyProcess('java', kafka, undefined, { ...filter, kafkaPorts: undefined }, () => 9092),
    ).toBe('kafka:9092');
    expect(classifyProcess('bash', 'bash\0', undefined, filter)).toBeUndefined();
    // Storage's image worker, by its script and the PORT it inherited from its storage.
    const worker = 'node\0/srv/dist/apps/storage/src/images/image-worker.js\0';
    expect(classifyProcess('node', worker, 5112, filter)).toBe(IMAGE_WORKER);
    expect(classifyProcess('node', worker, 4012, filter)).toBeUndefined();
  });

  it('turns two samples into % of one core and end RSS, counting processes that started in between', () => {
    const sample = (entries: Array<[number, number]>, rss: number): ProcessGroupSample => ({
      name: 'postgres',
      pids: entries.map(([pid]) => pid),
      ticksByPid: new Map(entries),
      rssBytes: rss,
    });
    const start = new Map([
      [
        'postgres',
        sample(
          [
            [10, 1000],
            [11, 50],
          ],
          100 * 1048576,
        ),
      ],
    ]);
    // pid 10 used 150 ticks, 11 exited, 12 started and used 50: 200 ticks over 4 s at 100 Hz = 50%.
    const end = new Map([
      [
        'postgres',
        sample(
          [
            [10, 1150],
            [12, 50],
          ],
          120 * 1048576,
        ),
      ],
    ]);
    expect(diffSamples(start, end, 4, 100)).toEqual([
      { name: 'postgres', processes: 2, cpuPercent: 50, rssMiB: 120 },
    ]);
  });

  it("tells a JVM's JIT compiler threads by name and reports their share of the process", () => {
    expect(isJitCompilerThread('C2 CompilerThre')).toBe(true);
    expect(isJitCompilerThread('C1 CompilerThre')).toBe(true);
    expect(isJitCompilerThread('data-plane-kafk')).toBe(false);
    expect(isJitCompilerThread('VM Thread')).toBe(false);
    const broker = (ticks: number, jit: number): ProcessGroupSample => ({
      name: 'kafka',
      pids: [7],
      ticksByPid: new Map([[7, ticks]]),
      jitTicksByPid: new Map([[7, jit]]),
      rssBytes: 0,
    });
    // 60 ticks over 10 s at 100 Hz, 25 of them compiling: 6% of a core, 2.5 of it the JIT.
    expect(
      diffSamples(
        new Map([['kafka', broker(500, 300)]]),
        new Map([['kafka', broker(560, 325)]]),
        10,
        100,
      ),
    ).toEqual([{ name: 'kafka', processes: 1, cpuPercent: 6, rssMiB: 0, jitCpuPercent: 2.5 }]);
  });
});

describe('read and write calls (/proc/<pid>/io)', () => {
  const io = (pids: Array<[number, number, number]>, readable = pids.map(([p]) => p)) => ({
    name: 'gateway:3000',
    pids: pids.map(([pid]) => pid),
    ticksByPid: new Map(pids.map(([pid]) => [pid, 0])),
    ioCallsByPid: new Map(
      pids
        .filter(([pid]) => readable.includes(pid))
        .map(([pid, reads, writes]) => [pid, { reads, writes }]),
    ),
    rssBytes: 0,
  });

  it('reads syscr and syscw, and nothing from an unreadable or odd file', () => {
    const text =
      'rchar: 900\nwchar: 800\nsyscr: 1234\nsyscw: 567\nread_bytes: 0\nwrite_bytes: 4096\n';
    expect(parseIo(text)).toEqual({ reads: 1234, writes: 567 });
    expect(parseIo('')).toBeUndefined();
    expect(parseIo('syscr: 1\n')).toBeUndefined();
  });

  it('gives calls per second over the interval, a pid started in it counted from zero', () => {
    const start = new Map([['gateway:3000', io([[1, 1000, 500]])]]);
    const end = new Map([
      [
        'gateway:3000',
        io([
          [1, 3000, 1500],
          [2, 100, 60],
        ]),
      ],
    ]);
    const [stat] = diffSamples(start, end, 10, 100);
    expect(stat).toMatchObject({ readsPerSecond: 210, writesPerSecond: 106 });
    // 210 reads a second over 10 s for 700 messages: 3 reads and about 1.51 writes a message.
    expect(ioCallsPer([stat], 10, 700)).toEqual([{ name: 'gateway:3000', reads: 3, writes: 1.51 }]);
    expect(ioCallsPer([stat], 10, 0)).toEqual([]);
  });

  it('gives nothing for a group when one of its pids could not be read', () => {
    const start = new Map([['gateway:3000', io([[1, 1000, 500]])]]);
    const end = new Map([
      [
        'gateway:3000',
        io(
          [
            [1, 3000, 1500],
            [2, 100, 60],
          ],
          [1],
        ),
      ],
    ]);
    const [stat] = diffSamples(start, end, 10, 100);
    expect(stat.readsPerSecond).toBeUndefined();
    expect(ioCallsPer([stat], 10, 700)).toEqual([]);
  });

  it('keeps the last counts of a pid that exited between passes', () => {
    const seen = foldSample(new Map(), new Map([['gateway:3000', io([[1, 10, 5]])]]));
    foldSample(seen, new Map([['gateway:3000', io([[2, 40, 20]])]]));
    expect(seen.get('gateway:3000')?.ioCallsByPid).toEqual(
      new Map([
        [1, { reads: 10, writes: 5 }],
        [2, { reads: 40, writes: 20 }],
      ]),
    );
  });
});

describe('waiting for a core (schedstat, /proc/pressure/cpu)', () => {
  const waited = (pids: Array<[number, number]>) => ({
    name: 'storage',
    pids: pids.map(([pid]) => pid),
    ticksByPid: new Map(pids.map(([pid]) => [pid, 0])),
    waitNsByPid: new Map(pids),
    rssBytes: 0,
  });

  it("reads a thread's run-queue wait and the machine's pressure total, nothing from odd text", () => {
    expect(parseSchedstat('191399340 7716252 363\n')).toEqual({ waitNs: 7716252, onCore: 363 });
    expect(parseSchedstat('')).toBeUndefined();
    expect(parseSchedstat('1 2\n')).toBeUndefined();
    expect(parseSchedstat('1 x 3\n')).toBeUndefined();
    expect(parseSchedstat('1 2 3.5\n')).toBeUndefined();
    const pressure =
      'some avg10=14.45 avg60=54.07 avg300=52.68 total=892930864\n' +
      'full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
    expect(parsePressureUs(pressure)).toBe(892930864);
    expect(parsePressureUs('')).toBeUndefined();
  });

  it('gives the wait as % of a second over the threads, a pid started in the interval from zero', () => {
    const start = new Map([['storage', waited([[1, 1e9]])]]);
    // pid 1 waited 1.5 s more, pid 2 (new) 0.5 s, over 10 s: 20% of a second.
    const end = new Map([
      [
        'storage',
        waited([
          [1, 2.5e9],
          [2, 0.5e9],
        ]),
      ],
    ]);
    expect(diffSamples(start, end, 10, 100)[0].waitPercent).toBe(20);
    // A thread that exited takes its wait with it: never below zero.
    const shrunk = new Map([['storage', waited([[1, 0.2e9]])]]);
    expect(diffSamples(start, shrunk, 10, 100)[0].waitPercent).toBe(0);
    // No readings: no figure.
    const none = new Map([['storage', { ...waited([[1, 0]]), waitNsByPid: undefined }]]);
    expect(diffSamples(none, none, 10, 100)[0].waitPercent).toBeUndefined();
  });

  it('keeps the last wait of a pid that exited between passes', () => {
    const seen = foldSample(new Map(), new Map([['storage', waited([[1, 10]])]]));
    foldSample(seen, new Map([['storage', waited([[2, 40]])]]));
    expect(seen.get('storage')?.waitNsByPid).toEqual(
      new Map([
        [1, 10],
        [2, 40],
      ]),
    );
  });

  it('gives the share of an interval in which some task waited', () => {
    expect(pressurePercent(1_000_000, 4_000_000, 10)).toBe(30);
    expect(pressurePercent(undefined, 4_000_000, 10)).toBeUndefined();
    expect(pressurePercent(1_000_000, 4_000_000, 0)).toBeUndefined();
  });
});

describe('what the machine did beside the sampled processes (/proc/stat)', () => {
  const stat = (fields: string) => `cpu  ${fields}\ncpu0 1 2 3 4\nintr 12345 0 0\n`;
  const process = (name: string, cpuPercent: number) => ({
    name,
    processes: 1,
    cpuPercent,
    rssMiB: 0,
  });

  it('reads busy ticks (interrupts in, idle, I/O wait and steal out) and the stolen ones', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    expect(parseMachineCpuTicks(stat('100 5 40 9000 30 2 8 7 0 0'))).toEqual({
      busy: 155,
      steal: 7,
    });
    // An old kernel's four fields: no interrupts or steal counted.
    expect(parseMachineCpuTicks(stat('100 5 40 9000'))).toEqual({ busy: 145, steal: 0 });
    expect(parseMachineCpuTicks('')).toBeUndefined();
    expect(parseMachineCpuTicks('cpu  1 2\n')).toBeUndefined();
    expect(parseMachineCpuTicks('cpu0 1 2 3 4\n')).toBeUndefined();
  });

  it('gives the CPU outside the processes and the stolen CPU as % of a core', () => {
    const start = { pressureUs: 1_000_000, cpu: { busy: 1000, steal: 10 } };
    const end = { pressureUs: 4_000_000, cpu: { busy: 2500, steal: 60 } };
    // 1,500 ticks in 10 s at 100 a second: 150% of a core busy; the processes 130% of it.
    const processes = [process('gateway:3000', 80), process('generator', 50)];
    expect(machineShares(start, end, 10, processes, 100)).toEqual({
      cpuPressurePercent: 30,
      outsideCpuPercent: 20,
      stealCpuPercent: 5,
    });
    // The processes read a little after the machine: never below zero.
    expect(machineShares(start, end, 10, [process('kafka', 151)], 100).outsideCpuPercent).toBe(0);
  });

  it('gives the share of the interval some task waited for the disk', () => {
    const start = { ioPressureUs: 2_000_000 };
    const end = { ioPressureUs: 2_500_000 };
    expect(machineShares(start, end, 10, [], 100)).toEqual({ ioPressurePercent: 5 });
    expect(machineShares(start, {}, 10, [], 100)).toEqual({});
  });

  it('gives what the readings hold and nothing more', () => {
    expect(machineShares({}, {}, 10, [], 100)).toEqual({});
    expect(machineShares({ pressureUs: 0 }, { pressureUs: 500_000 }, 10, [], 100)).toEqual({
      cpuPressurePercent: 5,
    });
    const cpu = { cpu: { busy: 0, steal: 0 } };
    expect(machineShares(cpu, cpu, 0, [], 100)).toEqual({});
  });
});

describe('StackSampler helpers', () => {
  const group = (name: string, ticks: Array<[number, number]>, rss = 0) => ({
    name,
    pids: ticks.map(([pid]) => pid),
    ticksByPid: new Map(ticks),
    rssBytes: rss,
  });

  it('keeps the last ticks of a process that exited between passes', () => {
    const start = new Map([['postgres', group('postgres', [[1, 100]])]]);
    const seen = foldSample(new Map(), start);
    // A backend (pid 2) appears, works, and exits before the end.
    foldSample(
      seen,
      new Map([
        [
          'postgres',
          group('postgres', [
            [1, 150],
            [2, 40],
          ]),
        ],
      ]),
    );
    foldSample(seen, new Map([['postgres', group('postgres', [[1, 200]], 1048576)]]));
    const [stat] = diffSamples(start, seen, 1, 100);
    // pid 1: 100 ticks, pid 2: 40 ticks that a two-point sample would have missed.
    expect(stat).toEqual({ name: 'postgres', processes: 2, cpuPercent: 140, rssMiB: 1 });
  });

  it("folds a JVM's JIT ticks along with its own", () => {
    const jvm = (ticks: number, jit: number) => ({
      ...group('kafka', [[3, ticks]]),
      jitTicksByPid: new Map([[3, jit]]),
    });
    const start = new Map([['kafka', jvm(100, 40)]]);
    const seen = foldSample(new Map(), start);
    foldSample(seen, new Map([['kafka', jvm(130, 50)]]));
    foldSample(seen, new Map([['kafka', jvm(200, 60)]]));
    expect(diffSamples(start, seen, 1, 100)).toEqual([
      { name: 'kafka', processes: 1, cpuPercent: 100, rssMiB: 0, jitCpuPercent: 20 },
    ]);
  });

  it('divides the stack CPU (not the generator) by the units of work', () => {
    const stats = [
      { name: 'gateway:3000', processes: 1, cpuPercent: 50, rssMiB: 1 },
      { name: 'postgres', processes: 3, cpuPercent: 50, rssMiB: 1 },
      { name: 'generator', processes: 2, cpuPercent: 80, rssMiB: 1 },
    ];
    // 100% of a core for 10 s = 10,000 ms over 5,000 messages.
    expect(stackCpuMsPer(stats, 10, 5000)).toBe(2);
    expect(stackCpuMsPer(stats, 10, 0)).toBeNull();
    expect(stackCpuPercent(stats)).toBe(100);
  });

  it("splits a connect's CPU into the stack's, its gateways' and the generator's", () => {
    const stats = [
      { name: 'gateway:3000', processes: 1, cpuPercent: 50, rssMiB: 1 },
      { name: 'gateway:3001', processes: 1, cpuPercent: 30, rssMiB: 1 },
      { name: 'postgres', processes: 3, cpuPercent: 20, rssMiB: 1 },
      { name: 'generator', processes: 2, cpuPercent: 40, rssMiB: 1 },
    ];
    // 10 s: the stack 10,000 ms, the gateways 8,000, the generator 4,000, over 2,000 connects.
    expect(cpuPerConnect(stats, 10, 2000)).toEqual({ stackMs: 5, gatewaysMs: 4, generatorMs: 2 });
    expect(cpuPerConnect(stats, 10, 0)).toEqual({
      stackMs: null,
      gatewaysMs: null,
      generatorMs: null,
    });
  });
});

describe('times on a core (schedstat)', () => {
  const scheduled = (pids: Array<[number, number]>) => ({
    name: 'kafka',
    pids: pids.map(([pid]) => pid),
    ticksByPid: new Map(pids.map(([pid]) => [pid, 0])),
    ioCallsByPid: new Map(pids.map(([pid]) => [pid, { reads: 0, writes: 0 }])),
    onCoreByPid: new Map(pids),
    rssBytes: 0,
  });

  it('gives times a second over the threads, and per message beside the read and write calls', () => {
    const start = new Map([['kafka', scheduled([[1, 5000]])]]);
    // pid 1 was put on a core 4,000 times more, pid 2 (new) 1,000 times, over 10 s.
    const end = new Map([
      [
        'kafka',
        scheduled([
          [1, 9000],
          [2, 1000],
        ]),
      ],
    ]);
    const [stat] = diffSamples(start, end, 10, 100);
    expect(stat.onCorePerSecond).toBe(500);
    // 500 a second over 10 s for 2,000 messages: 2.5 a message.
    expect(ioCallsPer([stat], 10, 2000)).toEqual([
      { name: 'kafka', reads: 0, writes: 0, onCore: 2.5 },
    ]);
    // A thread that exited takes its count with it: never below zero.
    const shrunk = new Map([['kafka', scheduled([[1, 10]])]]);
    expect(diffSamples(start, shrunk, 10, 100)[0].onCorePerSecond).toBe(0);
    // No readings: no figure, and the per-message row has none either.
    const none = new Map([['kafka', { ...scheduled([[1, 0]]), onCoreByPid: undefined }]]);
    const [unread] = diffSamples(none, none, 10, 100);
    expect(unread.onCorePerSecond).toBeUndefined();
    expect(ioCallsPer([unread], 10, 2000)).toEqual([{ name: 'kafka', reads: 0, writes: 0 }]);
  });

  it('keeps the last count of a pid that exited between passes', () => {
    const seen = foldSample(new Map(), new Map([['kafka', scheduled([[1, 10]])]]));
    foldSample(seen, new Map([['kafka', scheduled([[2, 40]])]]));
    expect(seen.get('kafka')?.onCoreByPid).toEqual(
      new Map([
        [1, 10],
        [2, 40],
      ]),
    );
  });
});
