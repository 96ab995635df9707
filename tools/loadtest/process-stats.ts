import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { DiskFlushProbe, DiskFlushSummary } from './disk-flush-probe';

/**
 * CPU and memory of the stack's processes, from /proc: the Parley services (node processes running
 * dist/apps/<service>/src/main.js, told apart by their PORT), Kafka (java kafka.Kafka, by its
 * listener port), PostgreSQL (every postgres process, summed), Redis (redis-server) and the load
 * generator itself. Sampled at a step's start and end; CPU is % of one core over the interval.
 */
export interface ProcessSample {
  /** clock ticks of user + system time */
  ticks: number;
  rssBytes: number;
}

export interface ProcessGroupSample {
  name: string;
  pids: number[];
  /** CPU ticks per pid, so processes that start or exit between samples are counted right. */
  ticksByPid: Map<number, number>;
  /** A JVM's (Kafka's) JIT compiler threads' ticks per pid: part of ticksByPid. */
  jitTicksByPid?: Map<number, number>;
  /** Read and write calls so far per pid (/proc/<pid>/io), for the pids whose file was readable. */
  ioCallsByPid?: Map<number, IoCalls>;
  /** Nanoseconds its threads have waited for a core so far, per pid (threadStats). */
  waitNsByPid?: Map<number, number>;
  /** Times its threads have been put on a core so far, per pid (threadStats). */
  onCoreByPid?: Map<number, number>;
  rssBytes: number;
}

/**
 * A process's read and write system calls so far (`syscr`, `syscw` of /proc/<pid>/io): the
 * read(2) and write(2) families (read, readv, write, writev...), which is how Node (libuv), the
 * JVM and Redis use their sockets. PostgreSQL's backends use recv(2) and send(2) on theirs, which
 * are not counted: its figure is its file I/O only.
 */
export interface IoCalls {
  reads: number;
  writes: number;
}

export interface ProcessStat {
  name: string;
  processes: number;
  /** Percent of one core, averaged over the interval. */
  cpuPercent: number;
  /** Resident memory at the end of the interval, MiB. */
  rssMiB: number;
  /**
   * A JVM's JIT compiler threads (HotSpot's C1/C2), part of cpuPercent: a broker compiles its hot
   * paths for minutes after it starts, which is start-up, not the cost of the work measured.
   */
  jitCpuPercent?: number;
  /**
   * Read and write calls per second over the interval (IoCalls), when every pid of the group
   * had a readable /proc/<pid>/io at the end (it needs the same user or root).
   */
  readsPerSecond?: number;
  writesPerSecond?: number;
  /**
   * Time its threads were ready to run but waited for a core (the scheduler's run-queue wait),
   * percent of one second summed over threads like cpuPercent: on a machine with more runnable
   * threads than cores, each hop of a message waits this way before it is worked on.
   */
  waitPercent?: number;
  /**
   * Times per second its threads were put on a core (schedstat's time slices, summed over
   * threads): each wake-up to handle something (a socket ready, a timer, a queued request) is
   * one, and so is each return after being preempted. What a process does per cycle of the
   * pipeline, it does this often.
   */
  onCorePerSecond?: number;
  /**
   * How long a Node service's main thread stood still for garbage collection (its
   * `nodejs_gc_duration_seconds`, every kind), percent of one second like cpuPercent. Wall time:
   * a pause that waited for a core counts whole. Set from the services' /metrics (gc-time.ts).
   */
  gcPercent?: number;
}

export interface StackProcessFilter {
  /** HTTP ports of the gateways under test. */
  gatewayPorts: number[];
  /** Session/presence/storage ports (the launcher puts them at basePort+10..12, +100 a replica). */
  servicePorts: number[];
  /**
   * The brokers under test by listener port, reported together as `kafka` (a cluster's three
   * brokers in one figure); undefined = every broker, each as `kafka:<port>`.
   */
  kafkaPorts?: number[];
  /** The generator's own processes (coordinator + workers). */
  generatorPids: number[];
}

let clockTicks: number | undefined;
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** /proc/<pid>/stat → comm and utime+stime (fields 14 and 15; comm may contain spaces). */
export function parseStat(text: string): { comm: string; ticks: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return { comm, ticks: Number(rest[11]) + Number(rest[12]) };
}

/** /proc/<pid>/status → VmRSS in bytes (0 for kernel threads / zombies). */
export function parseRss(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

/** /proc/<pid>/io → its read and write call counts; undefined when unreadable or malformed. */
export function parseIo(text: string): IoCalls | undefined {
  const reads = /^syscr:\s+(\d+)$/m.exec(text);
  const writes = /^syscw:\s+(\d+)$/m.exec(text);
  return reads && writes ? { reads: Number(reads[1]), writes: Number(writes[1]) } : undefined;
}

/**
 * /proc/<pid>/task/<tid>/schedstat → nanoseconds the thread has waited on a run queue and the
 * times it has been put on a core (its second and third fields, after its on-CPU time); undefined
 * when malformed.
 */
export function parseSchedstat(text: string): { waitNs: number; onCore: number } | undefined {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 3) return undefined;
  const waitNs = Number(fields[1]);
  const onCore = Number(fields[2]);
  return Number.isFinite(waitNs) && waitNs >= 0 && Number.isInteger(onCore) && onCore >= 0
    ? { waitNs, onCore }
    : undefined;
}

/**
 * /proc/pressure/cpu (or io) → microseconds so far in which at least one task waited for a core
 * (or for the disk): the `some` line's total, pressure stall information; undefined where the
 * kernel has none.
 */
export function parsePressureUs(text: string): number | undefined {
  const match = /^some .*\btotal=(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The machine's CPU pressure so far (parsePressureUs). */
export function readCpuPressureUs(): number | undefined {
  return parsePressureUs(readOr('/proc/pressure/cpu'));
}

/** The machine's CPU time so far, in clock ticks summed over its cores (/proc/stat). */
export interface MachineCpuTicks {
  /** On a core for anything: user, nice, system, interrupts (idle, I/O wait and steal not). */
  busy: number;
  /** Taken by the hypervisor for other guests while this machine had work (0 on bare metal). */
  steal: number;
}

/**
 * /proc/stat → the machine's busy and stolen ticks (its `cpu` line: user nice system idle iowait
 * irq softirq steal guest guest_nice; guest time is part of user already); undefined when
 * malformed.
 */
export function parseMachineCpuTicks(text: string): MachineCpuTicks | undefined {
  const line = /^cpu +([\d ]+)$/m.exec(text);
  if (!line) return undefined;
  const [user, nice, system, , , irq = 0, softirq = 0, steal = 0] = line[1]
    .trim()
    .split(/\s+/)
    .map(Number);
  if (system === undefined) return undefined;
  return { busy: user + nice + system + irq + softirq, steal };
}

/** What the machine did over an interval besides the sampled processes (machineShares). */
export interface MachineShares {
  /** The share of the interval in which some task waited for a core, percent (PSI `some`). */
  cpuPressurePercent?: number;
  /**
   * The share of the interval in which some task waited for the disk, percent (PSI `some`): a
   * commit waiting for its WAL flush is one.
   */
  ioPressurePercent?: number;
  /** The disk's flush times over the interval, when a DiskFlushProbe ran beside the sampler. */
  diskFlush?: DiskFlushSummary;
  /**
   * CPU the machine spent outside the sampled processes (the stack and the generator), percent
   * of one core: kernel threads, daemons, anything else running. Their cores were not free for the
   * stack, so a run with much of it reads slower than the same build on a quiet machine.
   */
  outsideCpuPercent?: number;
  /** CPU the hypervisor took while this machine had work, percent of one core. */
  stealCpuPercent?: number;
}

/** A reading of the machine's counters at one moment (readMachine), for machineShares. */
export interface MachineReading {
  pressureUs?: number;
  ioPressureUs?: number;
  cpu?: MachineCpuTicks;
}

/** The machine's CPU pressure and CPU time now (either absent where the kernel lacks it). */
export function readMachine(): MachineReading {
  const pressureUs = readCpuPressureUs();
  const ioPressureUs = parsePressureUs(readOr('/proc/pressure/io'));
  const cpu = parseMachineCpuTicks(readOr('/proc/stat'));
  return {
    ...(pressureUs === undefined ? {} : { pressureUs }),
    ...(ioPressureUs === undefined ? {} : { ioPressureUs }),
    ...(cpu ? { cpu } : {}),
  };
}

/**
 * The machine's shares over an interval of `seconds` between two readings, beside `processes`
 * sampled over the same interval (their CPU is subtracted from the machine's busy time; never
 * below zero: the two are read a few milliseconds apart). Figures the readings lack are absent.
 */
export function machineShares(
  start: MachineReading,
  end: MachineReading,
  seconds: number,
  processes: readonly ProcessStat[],
  ticksPerSecond = clockTicksPerSecond(),
): MachineShares {
  const shares: MachineShares = {};
  const pressure = pressurePercent(start.pressureUs, end.pressureUs, seconds);
  if (pressure !== undefined) shares.cpuPressurePercent = pressure;
  const ioPressure = pressurePercent(start.ioPressureUs, end.ioPressureUs, seconds);
  if (ioPressure !== undefined) shares.ioPressurePercent = ioPressure;
  if (start.cpu && end.cpu && seconds > 0) {
    const percentOfCore = (ticks: number) =>
      Math.round((Math.max(0, ticks) / ticksPerSecond / seconds) * 100 * 10) / 10;
    const sampled = sumToTenth(processes.map((p) => p.cpuPercent));
    const busy = percentOfCore(end.cpu.busy - start.cpu.busy);
    shares.outsideCpuPercent = Math.max(0, sumToTenth([busy, -sampled]));
    shares.stealCpuPercent = percentOfCore(end.cpu.steal - start.cpu.steal);
  }
  return shares;
}

/** NUL-separated /proc/<pid>/environ → the PORT variable. */
export function parseEnvPort(environ: string): number | undefined {
  for (const entry of environ.split('\0')) {
    if (entry.startsWith('PORT=')) {
      const port = Number(entry.slice(5));
      return Number.isInteger(port) ? port : undefined;
    }
  }
  return undefined;
}

/** `listeners=PLAINTEXT://127.0.0.1:9092,...` in a Kafka server.properties → 9092. */
export function parseKafkaListenerPort(properties: string): number | undefined {
  const match = /^listeners=.*?PLAINTEXT:\/\/[^:,\s]*:(\d+)/m.exec(properties);
  return match ? Number(match[1]) : undefined;
}

/**
 * Which group a process belongs to, from its comm, NUL-separated cmdline and PORT; undefined when
 * it is not part of the stack under test.
 */
/** The process name storage's image worker is reported under. */
export const IMAGE_WORKER = 'image-worker';

export function classifyProcess(
  comm: string,
  cmdline: string,
  port: number | undefined,
  filter: StackProcessFilter,
  kafkaPortOf: (cmdline: string) => number | undefined = () => undefined,
): string | undefined {
  if (comm === 'postgres') return 'postgres';
  if (comm === 'redis-server') return 'redis';
  const args = cmdline.split('\0');
  // Storage's image worker: a child process with storage's environment (its PORT).
  if (args.some((a) => a.endsWith('dist/apps/storage/src/images/image-worker.js'))) {
    return port !== undefined && filter.servicePorts.includes(port) ? IMAGE_WORKER : undefined;
  }
  if (args.some((a) => /dist\/apps\/[a-z]+\/src\/main\.js$/.test(a))) {
    const app = /dist\/apps\/([a-z]+)\/src\/main\.js/.exec(cmdline)?.[1] ?? 'node';
    if (app === 'gateway') {
      if (port === undefined || !filter.gatewayPorts.includes(port)) return undefined;
      return `gateway:${port}`;
    }
    if (port === undefined || !filter.servicePorts.includes(port)) return undefined;
    return app;
  }
  if (args.includes('kafka.Kafka')) {
    const kafkaPort = kafkaPortOf(cmdline);
    if (filter.kafkaPorts !== undefined && !filter.kafkaPorts.includes(kafkaPort ?? -1)) {
      return undefined;
    }
    return filter.kafkaPorts !== undefined || kafkaPort === undefined
      ? 'kafka'
      : `kafka:${kafkaPort}`;
  }
  return undefined;
}

/** HotSpot names its JIT compiler threads "C1 CompilerThread0", "C2 CompilerThread1" (comm: 15 chars). */
export function isJitCompilerThread(comm: string): boolean {
  return /^C[12] CompilerThre/.test(comm);
}

/**
 * One pass over a process's threads (/proc/<pid>/task): what they have all waited for a core so far
 * (ns) and how often they were put on one (both from each schedstat; undefined if none was
 * readable) and, for a JVM (`jit`), its JIT compiler threads' CPU ticks (from each stat).
 */
function threadStats(
  pid: number,
  jit: boolean,
): { waitNs?: number; onCore?: number; jitTicks?: number } {
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return jit ? { jitTicks: 0 } : {};
  }
  let sched: { waitNs: number; onCore: number } | undefined;
  let jitTicks = 0;
  for (const tid of tids) {
    const thread = parseSchedstat(readOr(`/proc/${pid}/task/${tid}/schedstat`));
    if (thread) {
      sched ??= { waitNs: 0, onCore: 0 };
      sched.waitNs += thread.waitNs;
      sched.onCore += thread.onCore;
    }
    if (!jit) continue;
    const text = readOr(`/proc/${pid}/task/${tid}/stat`);
    if (!text) continue;
    const stat = parseStat(text);
    if (isJitCompilerThread(stat.comm)) jitTicks += stat.ticks;
  }
  return { ...(sched ?? {}), ...(jit ? { jitTicks } : {}) };
}

function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function kafkaPortFromCmdline(cmdline: string): number | undefined {
  const args = cmdline.split('\0');
  const props = args[args.indexOf('kafka.Kafka') + 1];
  return props ? parseKafkaListenerPort(readOr(props)) : undefined;
}

/** One pass over /proc: the stack's processes grouped by name, plus 'generator'. */
export function sampleProcesses(filter: StackProcessFilter): Map<string, ProcessGroupSample> {
  const groups = new Map<string, ProcessGroupSample>();
  const add = (
    name: string,
    pid: number,
    sample: ProcessSample,
    io: IoCalls | undefined,
    { jitTicks, waitNs, onCore }: ReturnType<typeof threadStats>,
  ) => {
    const group: ProcessGroupSample = groups.get(name) ?? {
      name,
      pids: [],
      ticksByPid: new Map<number, number>(),
      rssBytes: 0,
    };
    group.pids.push(pid);
    group.ticksByPid.set(pid, sample.ticks);
    if (jitTicks !== undefined) (group.jitTicksByPid ??= new Map()).set(pid, jitTicks);
    if (io !== undefined) (group.ioCallsByPid ??= new Map()).set(pid, io);
    if (waitNs !== undefined) (group.waitNsByPid ??= new Map()).set(pid, waitNs);
    if (onCore !== undefined) (group.onCoreByPid ??= new Map()).set(pid, onCore);
    group.rssBytes += sample.rssBytes;
    groups.set(name, group);
  };
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return groups;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const statText = readOr(`/proc/${pid}/stat`);
    if (!statText) continue;
    const { comm, ticks } = parseStat(statText);
    let name: string | undefined;
    if (filter.generatorPids.includes(pid)) name = 'generator';
    else if (comm === 'postgres' || comm === 'redis-server')
      name = comm === 'postgres' ? 'postgres' : 'redis';
    else if (
      comm === 'node' ||
      comm === 'java' ||
      comm.startsWith('MainThread') ||
      comm === 'nodejs'
    ) {
      const cmdline = readOr(`/proc/${pid}/cmdline`);
      const port = parseEnvPort(readOr(`/proc/${pid}/environ`));
      name = classifyProcess(comm, cmdline, port, filter, kafkaPortFromCmdline);
    } else {
      continue;
    }
    if (!name) continue;
    add(
      name,
      pid,
      { ticks, rssBytes: parseRss(readOr(`/proc/${pid}/status`)) },
      parseIo(readOr(`/proc/${pid}/io`)),
      threadStats(pid, comm === 'java'),
    );
  }
  return groups;
}

/** CPU% (of one core) and end RSS per group between two samples `seconds` apart. */
export function diffSamples(
  start: Map<string, ProcessGroupSample>,
  end: Map<string, ProcessGroupSample>,
  seconds: number,
  ticksPerSecond = clockTicksPerSecond(),
): ProcessStat[] {
  const order = (name: string) =>
    [
      'gateway',
      'session',
      'presence',
      'storage',
      'kafka',
      'postgres',
      'redis',
      'generator',
    ].findIndex((prefix) => name.startsWith(prefix));
  return [...end.values()]
    .sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name))
    .map((group) => {
      const before = start.get(group.name)?.ticksByPid;
      // A process that started during the interval spent all its ticks in it; one that exited
      // is lost (short-lived postgres backends), which under-counts slightly.
      const percent = (ticksByPid: Map<number, number>, from?: Map<number, number>) => {
        let ticks = 0;
        for (const [pid, end] of ticksByPid) ticks += end - (from?.get(pid) ?? 0);
        const cpu = seconds > 0 ? (ticks / ticksPerSecond / seconds) * 100 : 0;
        // Hundredths: at idle each process is a few tenths, and the stack sums eight of them.
        return Math.round(Math.max(0, cpu) * 100) / 100;
      };
      const jitBefore = start.get(group.name)?.jitTicksByPid;
      const io = ioCallsPerSecond(group, start.get(group.name)?.ioCallsByPid, seconds);
      const wait = waitPercent(group.waitNsByPid, start.get(group.name)?.waitNsByPid, seconds);
      const onCore = growthPerSecond(
        group.onCoreByPid,
        start.get(group.name)?.onCoreByPid,
        seconds,
      );
      return {
        name: group.name,
        processes: group.pids.length,
        cpuPercent: percent(group.ticksByPid, before),
        rssMiB: Math.round((group.rssBytes / 1048576) * 10) / 10,
        ...(group.jitTicksByPid ? { jitCpuPercent: percent(group.jitTicksByPid, jitBefore) } : {}),
        ...(io ?? {}),
        ...(wait === undefined ? {} : { waitPercent: wait }),
        ...(onCore === undefined ? {} : { onCorePerSecond: Math.round(onCore * 10) / 10 }),
      };
    });
}

/**
 * A group's run-queue wait between two samples, percent of one second summed over its threads (a
 * pid that started in the interval waited all of it in it; a thread that exited takes its wait
 * with it, so never below zero); undefined without readings.
 */
function waitPercent(
  end: Map<number, number> | undefined,
  start: Map<number, number> | undefined,
  seconds: number,
): number | undefined {
  const ns = growthPerSecond(end, start, seconds);
  return ns === undefined ? undefined : Math.round((ns / 1e9) * 100 * 100) / 100;
}

/** Per-pid counters' growth (growth) per second between two samples; undefined without readings. */
function growthPerSecond(
  end: Map<number, number> | undefined,
  start: Map<number, number> | undefined,
  seconds: number,
): number | undefined {
  return end && seconds > 0 ? growth(end, start) / seconds : undefined;
}

/** How much per-pid counters grew: a new pid from zero, a pid whose count fell adds nothing. */
function growth(end: Map<number, number>, start: Map<number, number> | undefined): number {
  let total = 0;
  for (const [pid, now] of end) total += Math.max(0, now - (start?.get(pid) ?? 0));
  return total;
}

/** The share of an interval in which some task waited (for a core, or the disk), percent (PSI `some`). */
export function pressurePercent(
  startUs: number | undefined,
  endUs: number | undefined,
  seconds: number,
): number | undefined {
  if (startUs === undefined || endUs === undefined || seconds <= 0) return undefined;
  return Math.round((Math.max(0, endUs - startUs) / 1e6 / seconds) * 100 * 10) / 10;
}

/**
 * A group's read and write calls per second between two samples; undefined unless every pid of
 * `end` has its counts (a pid that started in the interval made all of its calls in it).
 */
function ioCallsPerSecond(
  end: ProcessGroupSample,
  start: Map<number, IoCalls> | undefined,
  seconds: number,
): { readsPerSecond: number; writesPerSecond: number } | undefined {
  const calls = end.ioCallsByPid;
  if (!calls || seconds <= 0 || end.pids.some((pid) => !calls.has(pid))) return undefined;
  let reads = 0;
  let writes = 0;
  for (const [pid, now] of calls) {
    reads += now.reads - (start?.get(pid)?.reads ?? 0);
    writes += now.writes - (start?.get(pid)?.writes ?? 0);
  }
  const perSecond = (n: number) => Math.round((Math.max(0, n) / seconds) * 10) / 10;
  return { readsPerSecond: perSecond(reads), writesPerSecond: perSecond(writes) };
}

/**
 * Folds a later /proc pass into an accumulated one: every pid keeps its latest ticks, so a process
 * that exits between two passes (a PostgreSQL backend the pool closed) still counts up to the last
 * pass that saw it. Pure: the caller owns both maps.
 */
export function foldSample(
  into: Map<string, ProcessGroupSample>,
  latest: Map<string, ProcessGroupSample>,
): Map<string, ProcessGroupSample> {
  for (const [name, group] of latest) {
    const held = into.get(name);
    if (!held) {
      into.set(name, {
        name,
        pids: [...group.pids],
        ticksByPid: new Map(group.ticksByPid),
        ...(group.jitTicksByPid ? { jitTicksByPid: new Map(group.jitTicksByPid) } : {}),
        ...(group.ioCallsByPid ? { ioCallsByPid: new Map(group.ioCallsByPid) } : {}),
        ...(group.waitNsByPid ? { waitNsByPid: new Map(group.waitNsByPid) } : {}),
        ...(group.onCoreByPid ? { onCoreByPid: new Map(group.onCoreByPid) } : {}),
        rssBytes: group.rssBytes,
      });
      continue;
    }
    for (const [pid, ticks] of group.ticksByPid) {
      if (!held.ticksByPid.has(pid)) held.pids.push(pid);
      held.ticksByPid.set(pid, ticks);
    }
    for (const [pid, ticks] of group.jitTicksByPid ?? []) {
      (held.jitTicksByPid ??= new Map()).set(pid, ticks);
    }
    for (const [pid, calls] of group.ioCallsByPid ?? []) {
      (held.ioCallsByPid ??= new Map()).set(pid, calls);
    }
    for (const [pid, wait] of group.waitNsByPid ?? []) {
      (held.waitNsByPid ??= new Map()).set(pid, wait);
    }
    for (const [pid, onCore] of group.onCoreByPid ?? []) {
      (held.onCoreByPid ??= new Map()).set(pid, onCore);
    }
    held.rssBytes = group.rssBytes;
  }
  return into;
}

/**
 * Samples the stack every `intervalMs` between `start()` and `stop()` and returns the CPU and
 * memory over the interval; short-lived processes are counted up to their last sample.
 */
export class StackSampler {
  private before = new Map<string, ProcessGroupSample>();
  private seen = new Map<string, ProcessGroupSample>();
  private startedAt = 0;
  private machineBefore: MachineReading = {};
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly filter: StackProcessFilter,
    private readonly intervalMs = 1000,
    /** A started probe whose flushes over the interval go with the machine's shares. */
    private readonly disk?: DiskFlushProbe,
  ) {}

  start(): void {
    this.disk?.take(); // what it timed before the interval is not the interval's
    this.before = sampleProcesses(this.filter);
    this.seen = foldSample(new Map(), this.before);
    this.machineBefore = readMachine();
    this.startedAt = Date.now();
    this.timer = setInterval(
      () => foldSample(this.seen, sampleProcesses(this.filter)),
      this.intervalMs,
    );
    this.timer.unref();
  }

  /** Also what the machine did beside the processes over the interval (machineShares). */
  stop(): { processes: ProcessStat[]; seconds: number; machine: MachineShares } {
    clearInterval(this.timer);
    const latest = sampleProcesses(this.filter);
    const machineAfter = readMachine();
    const seconds = (Date.now() - this.startedAt) / 1000;
    // RSS is the latest pass's; ticks are the latest seen per pid, exited ones included.
    const end = foldSample(this.seen, latest);
    for (const [name, group] of end) if (!latest.has(name)) group.rssBytes = 0;
    const processes = diffSamples(this.before, end, seconds);
    const machine = machineShares(this.machineBefore, machineAfter, seconds, processes);
    const diskFlush = this.disk?.take();
    return { processes, seconds, machine: diskFlush ? { ...machine, diskFlush } : machine };
  }
}

/**
 * Milliseconds of CPU the stack (every process but the generator) spent per unit of work
 * (delivered messages, connects) over an interval of `seconds`; null when nothing was done.
 */
export function stackCpuMsPer(
  processes: ProcessStat[],
  seconds: number,
  units: number,
): number | null {
  return cpuMsPer(stackCpuPercent(processes), seconds, units);
}

/** Milliseconds of CPU per unit of work, from a share of a core (%) held for `seconds`. */
export function cpuMsPer(percent: number, seconds: number, units: number): number | null {
  if (units <= 0) return null;
  return Math.round(((percent / 100) * seconds * 1000 * 1000) / units) / 1000;
}

/** What a connect cost (ms of CPU): the stack's, the gateways' part of it, the generator's. */
export interface CpuPerConnect {
  stackMs: number | null;
  gatewaysMs: number | null;
  generatorMs: number | null;
}

/** CpuPerConnect over `seconds` of these processes, for `connects` connects. */
export function cpuPerConnect(
  processes: ProcessStat[],
  seconds: number,
  connects: number,
): CpuPerConnect {
  const generator = processes.find((p) => p.name === 'generator');
  return {
    stackMs: stackCpuMsPer(processes, seconds, connects),
    gatewaysMs: cpuMsPer(gatewaysCpuPercent(processes), seconds, connects),
    generatorMs: cpuMsPer(generator?.cpuPercent ?? 0, seconds, connects),
  };
}

/** One process's read and write calls per unit of work (a delivered message). */
export interface IoCallsPerUnit {
  name: string;
  reads: number;
  writes: number;
  /** Times its threads were put on a core (ProcessStat.onCorePerSecond), where read. */
  onCore?: number;
}

/**
 * Each process's read and write calls (IoCalls) over an interval of `seconds`, per unit of work;
 * processes without counts are left out, and nothing is returned when nothing was done.
 */
export function ioCallsPer(
  processes: ProcessStat[],
  seconds: number,
  units: number,
): IoCallsPerUnit[] {
  if (units <= 0) return [];
  const per = (perSecond: number) => Math.round(((perSecond * seconds) / units) * 100) / 100;
  return processes.flatMap((p) =>
    p.readsPerSecond === undefined || p.writesPerSecond === undefined
      ? []
      : [
          {
            name: p.name,
            reads: per(p.readsPerSecond),
            writes: per(p.writesPerSecond),
            ...(p.onCorePerSecond === undefined ? {} : { onCore: per(p.onCorePerSecond) }),
          },
        ],
  );
}

/** The stack's CPU (every process but the generator), in percent of one core. */
export function stackCpuPercent(processes: ProcessStat[]): number {
  return sumToTenth(processes.filter((p) => p.name !== 'generator').map((p) => p.cpuPercent));
}

/** The gateways' CPU (% of one core, all of them), to a tenth. */
export function gatewaysCpuPercent(processes: readonly ProcessStat[]): number {
  return sumToTenth(processes.filter((p) => p.name.startsWith('gateway')).map((p) => p.cpuPercent));
}

/** Percentages added up, then rounded to a tenth (each part is kept to hundredths). */
export function sumToTenth(percents: readonly number[]): number {
  return Math.round(percents.reduce((sum, p) => sum + p, 0) * 10) / 10;
}
