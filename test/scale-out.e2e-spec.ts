import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Redis from 'ioredis';
import { Topic, ConsumerGroup } from '@parley/common/contracts/topics';
import { TopicAdmin } from '@parley/kafka/admin';
import { recreateDatabase } from '../libs/common/src/database/ensure-database';
import { formatHistoryCheck } from '../tools/faults/history-checker';
import { launchStack, type RunningStack } from '../tools/stack/stack-launcher';
import { FaultRun, waitUntil } from './support/faults/fault-run';
import { ready, stackControlAt } from './support/stack-control';
import { TEST_CONSUMER_ENV, TEST_GATEWAY_ENV, TEST_PRESENCE_ENV } from './support/test-stack';

/**
 * Scale-out (issue 17), on a stack of its own beside the shared e2e stack: a three-broker KRaft
 * cluster (topics with 3 copies, min.insync.replicas 2), three gateways, and two replicas each of
 * session, presence and storage in their consumer groups. Under steady load from devices that
 * behave as the client library does, one thing dies by SIGKILL and stays dead while the survivors
 * carry the load; every acknowledged message is then checked against PostgreSQL by the history
 * checker (nothing lost, doubled, reordered or gapped) before the dead one comes back.
 */
const ROOT = join(__dirname, '..');
const BASE_PORT = 5000;
const KAFKA_PORT = 29092;
const BROKERS = [0, 1, 2].map((i) => `127.0.0.1:${KAFKA_PORT + i}`);
const KAFKA_DATA_DIR = join(ROOT, '.data', 'kafka-test-cluster');
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley_test_scale';
const REDIS_URL = 'redis://127.0.0.1:6379/14';
const LOG_DIR = join(ROOT, '.data', 'test-logs-scale');
const LOAD = { pairs: 12, ratePerDevice: 2 };
const BEFORE_MS = 3_000;
const AFTER_MS = 6_000;

const control = stackControlAt(LOG_DIR);
let stack: RunningStack | undefined;
let admin: TopicAdmin | undefined;
let run: FaultRun | undefined;

const kafkaEnv = {
  ...process.env,
  PARLEY_KAFKA_BROKERS: '3',
  KAFKA_PORT: String(KAFKA_PORT),
  KAFKA_DATA_DIR,
};
function kafka(...args: string[]): string {
  const result = spawnSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), ...args], {
    env: kafkaEnv,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`kafka.sh ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}
const brokerPid = (node: number) =>
  Number(readFileSync(join(KAFKA_DATA_DIR, 'cluster', `broker-${node}`, 'broker.pid'), 'utf8'));
const serviceUrl = (name: string) => stack?.services.find((s) => s.name === name)?.url ?? '';
const gateways = () =>
  (stack?.services ?? []).filter((s) => s.kind === 'gateway').map((s) => s.url);

beforeAll(async () => {
  // A cluster left by an interrupted run is stopped before its data is wiped.
  kafka('stop');
  rmSync(KAFKA_DATA_DIR, { recursive: true, force: true });
  await recreateDatabase(DATABASE_URL);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  await redis.quit();
  stack = await launchStack({
    gateways: 3,
    replicas: 2,
    basePort: BASE_PORT,
    host: '127.0.0.1',
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    clusterId: 'e2e-scale',
    kafkaBrokers: BROKERS.join(','),
    kafkaClusterSize: 3,
    kafkaDataDir: KAFKA_DATA_DIR,
    logLevel: 'info',
    nodeEnv: 'test',
    jwtSecret: 'scale-out-test-secret-scale-out-test-secret',
    exemptLoopbackFromRegistrationLimit: true,
    extraEnv: {
      gateway: TEST_GATEWAY_ENV,
      session: TEST_CONSUMER_ENV,
      presence: TEST_PRESENCE_ENV,
      storage: TEST_CONSUMER_ENV,
    },
    blobStoreUrl: `file://${join(ROOT, '.data', 'test-blobs-scale')}`,
    logDir: LOG_DIR,
    say: (line) => process.stdout.write(`[scale-out] ${line}\n`),
  });
  admin = new TopicAdmin({ brokers: BROKERS, clientId: 'scale-out-test' });
}, 240_000);

afterEach(async () => {
  await run?.stop();
  run = undefined;
});

afterAll(async () => {
  await admin?.disconnect();
  await stack?.stop({ stopKafka: true });
}, 120_000);

/** Load for BEFORE_MS, then `inject`, load for AFTER_MS, settle, resync, check the history. */
async function underLoad(label: string, inject: (run: FaultRun) => Promise<string>): Promise<void> {
  run = await FaultRun.start(gateways(), DATABASE_URL, LOAD, label);
  run.startLoad(LOAD.ratePerDevice);
  await delay(BEFORE_MS);
  const figures = await inject(run);
  await delay(AFTER_MS);
  const { result, sends } = await run.finishAndCheck();
  process.stdout.write(
    `[scale-out] ${label}: ${sends} sends; ${figures}; ${formatHistoryCheck(result)}\n`,
  );
  if (!result.ok) {
    throw new Error(
      `${label}: ${formatHistoryCheck(result)}\n${JSON.stringify(result.examples, null, 2)}`,
    );
  }
}

/**
 * A check against the cluster that may hit the broker just killed (the test's own admin client
 * learns of the new leaders as the services do): a failed request counts as "not yet".
 */
function orNotYet(check: () => Promise<boolean>): () => Promise<boolean> {
  return () => check().catch(() => false);
}

/** Every device had a send acknowledged after `since`: every conversation's partition is served. */
async function everyDeviceAckedAfter(r: FaultRun, since: number, what: string): Promise<number> {
  await waitUntil(() => r.devices.every((d) => d.acks.some((a) => a.sentAt > since)), what, 60_000);
  return Math.max(...r.devices.map((d) => d.acks.find((a) => a.sentAt > since)?.at ?? 0)) - since;
}

async function wholeCluster(): Promise<void> {
  await waitUntil(
    orNotYet(async () => {
      const parts = await admin!.partitionReplicas([Topic.MessagesAccepted]);
      return parts.every((p) => p.isr.length === 3);
    }),
    'every partition back to 3 in-sync replicas',
    90_000,
  );
}

describe('scale-out: a three-broker cluster, three gateways, two replicas of every consumer', () => {
  jest.setTimeout(300_000);

  it('creates every topic with 3 copies, min.insync.replicas 2, spread over the three brokers', async () => {
    expect(await admin!.brokers()).toEqual([1, 2, 3]);
    const parts = await admin!.partitionReplicas([Topic.MessagesAccepted, Topic.Cursors]);
    expect(parts.length).toBeGreaterThan(0);
    for (const p of parts) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    expect(new Set(parts.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
    const configs = kafka(
      'tool',
      'configs',
      '--bootstrap-server',
      BROKERS.join(','),
      '--describe',
      '--entity-type',
      'topics',
      '--entity-name',
      Topic.MessagesAccepted,
    );
    expect(configs).toContain('min.insync.replicas=2');
  });

  it('shares each consumer group between the two replicas, and the directory spreads devices over the three gateways', async () => {
    for (const group of [ConsumerGroup.Storage, ConsumerGroup.Session, ConsumerGroup.Presence]) {
      await waitUntil(
        async () => (await admin!.groupLag(group, [])).members === 2,
        `${group} with two members`,
        30_000,
      );
    }
    run = await FaultRun.start(gateways(), DATABASE_URL, LOAD, 'spread');
    const byGateway = new Map<string, number>();
    for (const d of run.devices)
      byGateway.set(d.gatewayId ?? '?', (byGateway.get(d.gatewayId ?? '?') ?? 0) + 1);
    expect([...byGateway.keys()].sort()).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
  });

  it('kill -9 the broker leading the busiest partition under load: the others take over, every acked message stored once, in order', async () => {
    let killed = 0;
    try {
      await underLoad('broker', async (r) => {
        // On a busy machine a broker may be out of a partition's in-sync replicas for a moment.
        await wholeCluster();
        const offsets = (await admin!.describeTopics([Topic.MessagesAccepted]))[0].partitions;
        const busiest = offsets.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
        const before = (await admin!.partitionReplicas([Topic.MessagesAccepted])).find(
          (p) => p.partition === busiest.partition,
        );
        expect(before?.isr).toHaveLength(3);
        killed = before!.leader;
        const killedAt = Date.now();
        process.kill(brokerPid(killed), 'SIGKILL');
        // The controller fences the dead broker: a new leader from the in-sync replicas.
        await waitUntil(
          orNotYet(async () => {
            const now = (await admin!.partitionReplicas([Topic.MessagesAccepted])).find(
              (p) => p.partition === busiest.partition,
            );
            return now !== undefined && now.leader !== killed && now.leader > 0;
          }),
          'a new leader for the busiest partition',
          60_000,
        );
        const newLeaderAfter = Date.now() - killedAt;
        const resumed = await everyDeviceAckedAfter(
          r,
          killedAt,
          'every device acked after the kill',
        );
        return `broker ${killed} led partition ${busiest.partition}; new leader after ${newLeaderAfter} ms, every device acked again ${resumed} ms after the kill`;
      });
    } finally {
      if (killed > 0) kafka('start');
    }
    await wholeCluster();
  });

  it('kill -9 one storage and one session replica under load: the survivors take their partitions, nothing lost, doubled or reordered', async () => {
    const victims = ['storage', 'session-2'];
    try {
      await underLoad('replicas', async (r) => {
        const killedAt = Date.now();
        for (const name of victims) {
          control.hold(name);
          control.signal(name, 'SIGKILL');
        }
        const resumed = await everyDeviceAckedAfter(
          r,
          killedAt,
          'every device acked after the kill',
        );
        // The dead members leave their groups (session timeout); the survivors hold every partition.
        for (const group of [ConsumerGroup.Storage, ConsumerGroup.Session]) {
          await waitUntil(
            orNotYet(async () => {
              const g = await admin!.groupLag(group, []);
              return g.members === 1 && g.state === 'Stable';
            }),
            `${group} down to its surviving member`,
            60_000,
          );
        }
        expect(await ready(serviceUrl('storage-2'))).toBe(true);
        expect(await ready(serviceUrl('session'))).toBe(true);
        return `every device acked again ${resumed} ms after the kill, with one storage and one session`;
      });
    } finally {
      for (const name of victims) control.release(name);
    }
    for (const name of victims) {
      await waitUntil(() => ready(serviceUrl(name)), `${name} back`, 60_000);
    }
  });
});
