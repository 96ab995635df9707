import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the e2e global set-up launched; written to .data/test-stack.json for the test workers. */
export interface TestStack {
  gateways: string[];
  session: string;
  presence: string;
  storage: string;
  /** Names of storage's replicas (`storage`, then `storage-2`, ...: PARLEY_TEST_REPLICAS). */
  storageReplicas: string[];
  databaseUrl: string;
  redisUrl: string;
  /** PARLEY_CLUSTER_ID: a raw Redis client needs `keyPrefix: redisKeyPrefix(clusterId)`. */
  clusterId: string;
  kafkaBrokers: string[];
  /** Control URL of the proxy between storage and PostgreSQL (see libs/testing/src/blockable-proxy.ts). */
  storageDatabaseProxy: string;
  /** Control URL of the proxy between the first gateway and Redis (a test can stall it). */
  firstGatewayRedisProxy: string;
  /** The gateways' JWT secret for this run (tests sign forged and expired tokens with it). */
  jwtSecret: string;
  /**
   * The directory holding the stack's blobs (a local store's, or S3Proxy's bucket): what images
   * left on disk, laid out as staging/<uuid> and sha256/<2 hex>/<hex> either way.
   */
  blobDir: string;
}

/** Where a content blob of the stack's store is on disk (see TestStack.blobDir). */
export function blobFileOf(stack: TestStack, key: string): string {
  return join(stack.blobDir, 'sha256', key.slice(0, 2), key);
}

/**
 * The test gateways' tuning. Send bursts: one test sends 1,000 messages from one socket at once
 * (the default burst is 100); the send-budget tests are written against these numbers.
 */
export const TEST_GATEWAY_ENV: Record<string, string> = {
  SEND_BURST_PER_SOCKET: '1000',
  SEND_BURST_PER_USER: '1500',
  // Slow-client cut-offs a test can wait for (defaults: 10 s and 30 s).
  HTTP_HEADERS_TIMEOUT_MS: '3000',
  HTTP_REQUEST_TIMEOUT_MS: '6000',
  // Activity reaches presence at most once a second per user (default 5 s): tests see it sooner.
  PRESENCE_ACTIVITY_COALESCE_MS: '1000',
  // Pings every 5 s (default 25 s): the heartbeat test waits for a silent socket to be cut off.
  WS_PING_INTERVAL_MS: '5000',
  // A 2 MB upload cap (default 10 MB): the oversized-upload tests send a little more.
  IMAGE_MAX_BYTES: String(2 * 1024 * 1024),
};

/**
 * The test consumers' tuning (session, presence, storage). A consumer killed without leaving its
 * group (the fault tests SIGKILL one) holds its partitions until the broker's session timeout: 6 s
 * (the broker's minimum) instead of 30 s lets its restarted process take them back quickly.
 */
export const TEST_CONSUMER_ENV: Record<string, string> = {
  KAFKA_SESSION_TIMEOUT_MS: '6000',
};

/** The operator the e2e stack names as the announcements channel's admin (storage). */
export const TEST_OPERATOR = 'parley_operator';

export const TEST_STORAGE_ENV: Record<string, string> = {
  ...TEST_CONSUMER_ENV,
  ANNOUNCEMENTS_ADMINS: TEST_OPERATOR,
  // Disappearing messages in seconds (tests wait for them), and a sweep every half second.
  DISAPPEARING_TIMERS_S: '2,300,3600,86400,604800',
  EXPIRY_SWEEP_MS: '500',
  // A stalled database connection dropped after 10 s (default 30 s): the stall test waits for it.
  DATABASE_STALL_TIMEOUT_MS: '10000',
};

/**
 * Presence in the e2e stack: a short offline grace (tests wait for offline in seconds) that still
 * covers a socket reconnecting, a sweep every 200 ms, and a reconnect rate a storm test can
 * outrun with a few devices.
 */
export const TEST_PRESENCE_ENV: Record<string, string> = {
  ...TEST_CONSUMER_ENV,
  PRESENCE_OFFLINE_GRACE_MS: '1500',
  PRESENCE_SWEEP_MS: '200',
  // A small cluster's reconnect rate: 20 devices dropping together are a storm of 4 s.
  PRESENCE_RECONNECTS_PER_S: '5',
};

export const TEST_STACK_FILE = join(__dirname, '..', '..', '.data', 'test-stack.json');

export function testStack(): TestStack {
  return JSON.parse(readFileSync(TEST_STACK_FILE, 'utf8')) as TestStack;
}

/** The WebSocket URL of a gateway, from its HTTP URL (what the directory offers for it). */
export function wsUrlOf(http: string): string {
  return `${http.replace(/^http/, 'ws')}/ws`;
}
