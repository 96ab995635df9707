/**
 * The pipeline floor: what the design's hops cost per message on this machine with nothing of
 * Parley's own on them. Two bare gateways (floor-gateway.ts: a WebSocket in, the services'
 * idempotent producer out; Redis in, the socket out), one bare storage (floor-storage.ts: a
 * kafkajs consumer, one statement per group against PostgreSQL, one Redis publish per gateway,
 * offsets after the commit), the project's Kafka broker, PostgreSQL and Redis, driven like
 * `loadtest pairs` (open loop from each send's scheduled time; users with fixed partners; a message
 * to the recipient and an ack to the sender), with the same CPU sampling and disk flush probe
 * (each step's line ends with the disk's flushes: a stalled one holds every commit behind it,
 * so a step's tail is read beside them). What Parley adds on top
 * (auth, validation, envelopes, membership, the accepted frame, receipts, presence, ordering
 * checks, metrics) is the difference from the bar command run on the same machine.
 *
 *   npm run build && node dist/tools/bench/pipeline-floor/pipeline-floor.bench.js \
 *     [--rates 100,500,1000] [--duration 30] [--drain 10] [--warmup 20] [--users 1000]
 *     [--partners 3] [--kafka-port 9092]
 *
 * It needs the broker up (`bash scripts/kafka.sh start`), PostgreSQL and Redis, and no Parley
 * stack running (its PostgreSQL backends would be counted). It makes its own database
 * (`parley_floor`, dropped and made again), topic (`parley.bench.floor.v1`, 12 partitions) and
 * Redis channels, on loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { WebSocket } from 'ws';
import { recreateDatabase } from '@parley/common/database/ensure-database';
import { TopicAdmin } from '@parley/kafka/admin';
import { type DiskFlushProbe, startDiskFlushProbe } from '../../loadtest/disk-flush-probe';
import { Histogram } from '../../loadtest/histogram';
import {
  clockTicksPerSecond,
  parseIo,
  parseStat,
  StackSampler,
} from '../../loadtest/process-stats';
import { positiveInt } from '../bench-inputs';
import {
  FLOOR_SCHEMA,
  FLOOR_TOPIC,
  type FloorFrame,
  type FloorSend,
  gatewayOf,
} from './floor-wire';
import { floorStepFigures, type StepCounts } from './floor-figures';

const GATEWAYS = 2;
const BASE_PORT = 5700;
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley_floor';
const REDIS_URL = 'redis://127.0.0.1:6379/12';
/** 60 characters, as the load tool's texts. */
const TEXT = 'a sixty-character message, as the load tool sends by default';

interface Child {
  name: string;
  process: ChildProcess;
}

function startChild(name: string, script: string, env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, [join(__dirname, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${name} exited ${code} before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!String(chunk).includes('ready')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ name, process: child });
    });
  });
}

/** A child's CPU so far (clock ticks) and its read and write calls, or zeros once it is gone. */
function usageOf(pid: number | undefined): { ticks: number; reads: number; writes: number } {
  try {
    const { ticks } = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const io = parseIo(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return { ticks, reads: io?.reads ?? 0, writes: io?.writes ?? 0 };
  } catch {
    return { ticks: 0, reads: 0, writes: 0 };
  }
}

class Users {
  readonly sockets: WebSocket[] = [];
  readonly delivery = new Histogram();
  counts: StepCounts = { sent: 0, acked: 0, delivered: 0, outOfOrder: 0 };
  /** The last seq each recipient saw per conversation. */
  private readonly lastSeq = new Map<string, number>();

  async connect(users: number): Promise<void> {
    for (let u = 0; u < users; u++) {
      const port = BASE_PORT + gatewayOf(u, GATEWAYS);
      const socket = new WebSocket(`ws://127.0.0.1:${port}/?user=${u}`);
      socket.on('message', (data: Buffer) =>
        this.onFrame(u, JSON.parse(data.toString('utf8')) as FloorFrame),
      );
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      this.sockets.push(socket);
    }
  }

  private onFrame(user: number, frame: FloorFrame): void {
    if (frame.type === 'ack') {
      this.counts.acked += 1;
      return;
    }
    const key = `${user}:${frame.k}`;
    if (frame.seq <= (this.lastSeq.get(key) ?? 0)) this.counts.outOfOrder += 1;
    this.lastSeq.set(key, frame.seq);
    this.counts.delivered += 1;
    this.delivery.record(Date.now() - frame.s);
  }

  send(send: FloorSend): void {
    this.sockets[send.from].send(JSON.stringify(send));
    this.counts.sent += 1;
  }

  close(): void {
    for (const socket of this.sockets) socket.close();
  }
}

/**
 * One open-loop step: `rate` sends a second for `seconds`, each timed from its scheduled time,
 * then `drainSeconds` for what is still on its way.
 */
async function runStep(
  users: Users,
  rate: number,
  seconds: number,
  drainSeconds: number,
  partners: number,
): Promise<void> {
  const population = users.sockets.length;
  const run = randomBytes(4).toString('hex');
  const total = Math.round(rate * seconds);
  const start = Date.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000));
      for (; sent < due; sent++) {
        const from = Math.floor(Math.random() * population);
        const to = (from + 1 + Math.floor(Math.random() * partners)) % population;
        users.send({
          c: `${run}-${sent}`,
          from,
          to,
          k: from < to ? `${from}-${to}` : `${to}-${from}`,
          t: TEXT,
          s: start + (sent * 1000) / rate,
        });
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  // The whole drain, as the load tool's steps: the CPU is averaged over sends and drain alike.
  await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '100,500,1000' },
      duration: { type: 'string' },
      drain: { type: 'string' },
      warmup: { type: 'string' },
      users: { type: 'string' },
      partners: { type: 'string' },
      'kafka-port': { type: 'string' },
    },
  });
  const rates = values.rates.split(',').map((r) => positiveInt(r, 0));
  const duration = positiveInt(values.duration, 30);
  const drain = positiveInt(values.drain, 10);
  const warmup = positiveInt(values.warmup, 20);
  const population = positiveInt(values.users, 1000);
  const partners = positiveInt(values.partners, 3);
  const kafkaPort = positiveInt(values['kafka-port'], 9092);
  const broker = `127.0.0.1:${kafkaPort}`;

  await recreateDatabase(DATABASE_URL);
  const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
  await pool.query(FLOOR_SCHEMA);
  await pool.end();
  const admin = new TopicAdmin({ brokers: [broker], clientId: 'floor-bench' });
  await admin.ensureTopics([{ name: FLOOR_TOPIC, partitions: 12 }]);
  await admin.disconnect();

  const common = {
    FLOOR_GATEWAYS: String(GATEWAYS),
    FLOOR_KAFKA: broker,
    FLOOR_REDIS: REDIS_URL,
    LOG_LEVEL: 'warn',
  };
  const children: Child[] = [];
  const users = new Users();
  // The disk's flushes through each step, as the load tool times them (in its directory).
  let disk: DiskFlushProbe | undefined;
  try {
    children.push(
      await startChild('storage', 'floor-storage.js', {
        ...common,
        FLOOR_DATABASE_URL: DATABASE_URL,
        FLOOR_GROUP: `parley.bench.floor.${randomBytes(4).toString('hex')}`,
      }),
    );
    for (let g = 0; g < GATEWAYS; g++) {
      children.push(
        await startChild(`gateway:${BASE_PORT + g}`, 'floor-gateway.js', {
          ...common,
          FLOOR_GATEWAY: String(g),
          FLOOR_PORT: String(BASE_PORT + g),
        }),
      );
    }
    await users.connect(population);
    disk = await startDiskFlushProbe((line) => process.stderr.write(`[floor] ${line}\n`));
    process.stdout.write(`connected ${population} users to ${GATEWAYS} floor gateways\n`);

    const steps = [{ rate: rates[0], seconds: warmup, judged: false }].concat(
      rates.map((rate) => ({ rate, seconds: duration, judged: true })),
    );
    for (const step of steps) {
      users.counts = { sent: 0, acked: 0, delivered: 0, outOfOrder: 0 };
      users.delivery.reset();
      const sampler = new StackSampler(
        {
          gatewayPorts: [],
          servicePorts: [],
          kafkaPorts: [kafkaPort],
          generatorPids: [process.pid],
        },
        1000,
        disk,
      );
      const before = children.map((c) => usageOf(c.process.pid));
      sampler.start();
      await runStep(users, step.rate, step.seconds, drain, partners);
      const { processes, seconds, machine } = sampler.stop();
      const ticks = clockTicksPerSecond();
      const own = children.map((c, i) => {
        const after = usageOf(c.process.pid);
        return {
          name: c.name,
          cpuPercent: ((after.ticks - before[i].ticks) / ticks / seconds) * 100,
          readsPerSecond: (after.reads - before[i].reads) / seconds,
          writesPerSecond: (after.writes - before[i].writes) / seconds,
        };
      });
      const figures = floorStepFigures(
        step.rate,
        step.seconds,
        seconds,
        users.counts,
        users.delivery.summary(),
        [
          ...own,
          ...processes.map(
            ({ name, cpuPercent, jitCpuPercent, readsPerSecond, writesPerSecond }) => ({
              name,
              cpuPercent,
              ...(jitCpuPercent === undefined ? {} : { jitCpuPercent }),
              ...(readsPerSecond === undefined ? {} : { readsPerSecond, writesPerSecond }),
            }),
          ),
        ],
        machine.diskFlush,
      );
      process.stdout.write(
        `${JSON.stringify({ ...figures, judged: step.judged })}\n` +
          `${step.judged ? '' : '(warm-up) '}${figures.line}\n`,
      );
    }
  } finally {
    users.close();
    await disk?.stop();
    for (const child of children) child.process.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[floor] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
