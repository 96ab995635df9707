import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import type * as EnsureDatabase from '../libs/common/src/database/ensure-database';
import { type RunningS3Proxy, startS3Proxy } from '../libs/testing/src/s3proxy';
import type * as Launcher from '../tools/stack/stack-launcher';
import {
  TEST_CONSUMER_ENV,
  TEST_GATEWAY_ENV,
  TEST_PRESENCE_ENV,
  TEST_STACK_FILE,
  TEST_STORAGE_ENV,
  TestStack,
} from './support/test-stack';

declare global {
  var __PARLEY_STACK__: Launcher.RunningStack | undefined;
  /** The run's blockable proxies (storage's database, the first gateway's Redis). */
  var __PARLEY_PROXIES__: ChildProcess[] | undefined;
  var __PARLEY_S3PROXY__: RunningS3Proxy | undefined;
}

const ROOT = join(__dirname, '..');
const BASE_PORT = Number(process.env.PARLEY_TEST_BASE_PORT ?? 4000);
const DATABASE_URL =
  process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley_test';
const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
/** Replicas of session, presence and storage (PARLEY_TEST_REPLICAS=2: the suite on two of each). */
const REPLICAS = Number(process.env.PARLEY_TEST_REPLICAS ?? 1);
/** The run's name in Redis (PARLEY_CLUSTER_ID): its keys' prefix and its channels' part. */
const CLUSTER_ID = 'e2e';
/** The run's own broker (see chooseBroker). */
const PRIVATE_BROKER = { port: 19092, controllerPort: 19093, dataDir: '.data/kafka-test' };
/**
 * PARLEY_KAFKA_BROKERS=3: the run's own three-broker cluster instead (scripts/kafka.sh's cluster:
 * brokers on 19292-19294, controllers 100 above), topics with 3 copies and min.insync.replicas 2.
 */
const KAFKA_CLUSTER_SIZE = process.env.PARLEY_KAFKA_BROKERS === '3' ? 3 : 1;
const PRIVATE_CLUSTER_PORT = 19292;

/**
 * Starts the real stack once for the e2e run: Kafka (reused when one answers), topics, a fresh
 * database, an emptied Redis database, two gateways, session, presence and storage. It drives the
 * compiled launcher in dist/ (scripts/test.sh builds first): the same code `scripts/stack.sh up` runs.
 */
export default async function globalSetup(): Promise<void> {
  const say = (line: string) => process.stdout.write(`[e2e] ${line}\n`);
  const dist = (path: string) => join(ROOT, 'dist', path);
  const KAFKA_BROKERS = chooseBroker();
  const { recreateDatabase } = (await import(
    dist('libs/common/src/database/ensure-database.js')
  )) as typeof EnsureDatabase;
  const { launchStack } = (await import(dist('tools/stack/stack-launcher.js'))) as typeof Launcher;

  await recreateDatabase(DATABASE_URL);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  await redis.quit();

  // Storage reaches PostgreSQL through a proxy a test can cut (the outage tests), in a process of
  // its own (libs/testing/src/blockable-proxy.ts).
  const pg = new URL(DATABASE_URL);
  const proxy = await startProxy(dist('tools/faults/blockable-proxy-cli.js'), pg);
  const storageDatabaseUrl = new URL(DATABASE_URL);
  storageDatabaseUrl.hostname = '127.0.0.1';
  storageDatabaseUrl.port = String(proxy.port);
  // The first gateway reaches Redis through another, which a test can stall (the connections stop
  // answering without closing: "a gateway's Redis connections stall").
  const redisProxy = await startProxy(
    dist('tools/faults/blockable-proxy-cli.js'),
    new URL(REDIS_URL),
  );
  const firstGatewayRedisUrl = new URL(REDIS_URL);
  firstGatewayRedisUrl.hostname = '127.0.0.1';
  firstGatewayRedisUrl.port = String(redisProxy.port);

  const logDir = join(ROOT, '.data', 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const blobs = await blobStoreForRun(say);
  // A fresh secret per run, shared with the tests (they sign forged and expired tokens with it).
  const jwtSecret = randomBytes(32).toString('base64url');
  const stack = await launchStack({
    gateways: 2,
    replicas: REPLICAS,
    basePort: BASE_PORT,
    host: '127.0.0.1',
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    clusterId: CLUSTER_ID,
    kafkaBrokers: KAFKA_BROKERS,
    kafkaClusterSize: KAFKA_CLUSTER_SIZE,
    logLevel: process.env.PARLEY_TEST_LOG_LEVEL ?? 'info',
    nodeEnv: 'test',
    jwtSecret,
    // Tests simulate many client addresses with X-Forwarded-For from loopback.
    trustProxy: 'loopback',
    exemptLoopbackFromRegistrationLimit: true,
    extraEnv: {
      gateway: TEST_GATEWAY_ENV,
      session: TEST_CONSUMER_ENV,
      presence: TEST_PRESENCE_ENV,
      storage: TEST_STORAGE_ENV,
    },
    storageDatabaseUrl: storageDatabaseUrl.toString(),
    firstGatewayRedisUrl: firstGatewayRedisUrl.toString(),
    blobStoreUrl: blobs.url,
    blobStoreCredentials: blobs.credentials,
    logDir,
    say,
  });
  globalThis.__PARLEY_STACK__ = stack;
  const url = (kind: string) => stack.services.find((s) => s.kind === kind)?.url ?? '';
  const info: TestStack = {
    gateways: stack.services.filter((s) => s.kind === 'gateway').map((s) => s.url),
    session: url('session'),
    presence: url('presence'),
    storage: url('storage'),
    storageReplicas: stack.services.filter((s) => s.kind === 'storage').map((s) => s.name),
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    clusterId: CLUSTER_ID,
    kafkaBrokers: KAFKA_BROKERS.split(','),
    storageDatabaseProxy: proxy.controlUrl,
    firstGatewayRedisProxy: redisProxy.controlUrl,
    jwtSecret,
    blobDir: blobs.dir,
  };
  writeFileSync(TEST_STACK_FILE, JSON.stringify(info, null, 2));
  say(`stack ready (logs in ${logDir})`);
}

/**
 * The stack's image blobs, emptied per run so a test can see what a refusal left behind: a local
 * directory, or with PARLEY_TEST_BLOB_STORE=s3 a bucket of S3Proxy (filesystem backend, started
 * here). Either way `dir` holds the same layout (staging/<uuid>, sha256/<2 hex>/<hex>): S3Proxy
 * keeps a bucket's objects as files under <basedir>/<bucket>/<key>, so the tests read both alike.
 */
async function blobStoreForRun(say: (line: string) => void): Promise<{
  url: string;
  dir: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}> {
  if (process.env.PARLEY_TEST_BLOB_STORE === 's3') {
    const dataDir = join(ROOT, '.data', 'test-s3');
    rmSync(dataDir, { recursive: true, force: true });
    const s3proxy = await startS3Proxy(dataDir);
    globalThis.__PARLEY_S3PROXY__ = s3proxy;
    const dir = join(dataDir, 'buckets', 'parley-test'); // the bucket
    mkdirSync(dir, { recursive: true });
    say(`image blobs in S3Proxy at ${s3proxy.endpoint}, bucket parley-test`);
    return {
      url: `s3://parley-test?endpoint=${s3proxy.endpoint}&forcePathStyle=true`,
      dir,
      credentials: { accessKeyId: s3proxy.accessKeyId, secretAccessKey: s3proxy.secretAccessKey },
    };
  }
  const dir = join(ROOT, '.data', 'test-blobs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { url: `file://${dir}`, dir };
}

/** Starts the storage database proxy's process and reads its ports from its first line. */
async function startProxy(
  entry: string,
  upstream: URL,
): Promise<{ port: number; controlUrl: string }> {
  const defaultPort = upstream.protocol === 'redis:' ? '6379' : '5432';
  const child = spawn(process.execPath, [entry, upstream.hostname, upstream.port || defaultPort], {
    // Its stdin is a pipe from this process: when the test run ends, whatever way, it ends too.
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  (globalThis.__PARLEY_PROXIES__ ??= []).push(child);
  const firstLine = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`proxy to ${upstream.host} exited (${code})`)));
  });
  child.stdout?.resume();
  return JSON.parse(firstLine) as { port: number; controlUrl: string };
}

/**
 * The run's own broker, on its own ports with its own data folder (scripts/kafka.sh reads
 * KAFKA_PORT, KAFKA_CONTROLLER_PORT and KAFKA_DATA_DIR): tests and a developer's stack never share
 * topics, consumer groups or dead letters. The launcher starts it (or reuses one a previous run
 * left answering there) and the teardown stops what it started. KAFKA_BROKERS overrides it.
 */
function chooseBroker(): string {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  process.env.KAFKA_DATA_DIR = join(ROOT, PRIVATE_BROKER.dataDir);
  if (KAFKA_CLUSTER_SIZE > 1) {
    process.env.KAFKA_PORT = String(PRIVATE_CLUSTER_PORT);
    return Array.from(
      { length: KAFKA_CLUSTER_SIZE },
      (_, i) => `127.0.0.1:${PRIVATE_CLUSTER_PORT + i}`,
    ).join(',');
  }
  process.env.KAFKA_PORT = String(PRIVATE_BROKER.port);
  process.env.KAFKA_CONTROLLER_PORT = String(PRIVATE_BROKER.controllerPort);
  return `127.0.0.1:${PRIVATE_BROKER.port}`;
}
