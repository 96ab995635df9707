import { resolve } from 'node:path';
import { reportedIssues, urlString } from '@parley/protocol';
import { z } from 'zod/v4';
import { parseBlobStoreUrl } from '../blobs/blob-store-url';
import { REDIS_LIVENESS_DEFAULT_MS } from '../redis/redis-liveness';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigValidationError';
  }
}

/**
 * Parses the environment through one schema per service. Every problem names its variable, and
 * values are never echoed (they may be secrets). Defaults make the local stack work unset.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigValidationError(
      reportedIssues(result.error.issues).map(
        (i) => `${i.path.join('.') || '(env)'}: ${i.message}`,
      ),
    );
  }
  return result.data;
}

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  urlString().refine((v) => protocols.some((p) => v.startsWith(`${p}://`)), {
    message: `must be a ${protocols.join(' or ')} URL`,
  });

/** Fragments every service schema is composed from, so one variable means one thing everywhere. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port[,host:port...]')).min(1)),
  HOST: z.string().default('127.0.0.1'),
  /**
   * Bearer token for the internal endpoints (`/metrics`, session's directory, presence's reads).
   * Unset, they answer only loopback callers that came through no proxy.
   */
  INTERNAL_API_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** The whole request head must arrive within this (slow-header clients are cut off). */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  /** The whole request, body included, must arrive within this (slow-body clients). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** An idle keep-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** TCP connections (HTTP and WebSocket together) past which new ones are dropped at once. */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(10).default(50_000),
};

/** The HTTP server limits every service applies (see bootstrapService). */
export interface HttpServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export function httpServerLimits(config: {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
  HTTP_MAX_CONNECTIONS: number;
}): HttpServerLimits {
  return {
    headersTimeoutMs: Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS),
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
}
/**
 * For services that consume Kafka topics (session, presence, storage). The session timeout is how
 * long the broker keeps a silent member's partitions: a consumer that died without leaving (a
 * SIGKILL, a lost machine) holds them that long, and its restarted process waits as long to get
 * them back. 6,000 is the broker's default group.min.session.timeout.ms.
 */
export const kafkaConsumerEnv = {
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(6_000),
  /**
   * How long a fetch that brought records holds the next fetch (0: fetch again at once). Under
   * load, records arriving meanwhile come in one fetch and one group commit instead of one each.
   */
  KAFKA_FETCH_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(10),
  /**
   * The least time between two offset commits of a consumer (0: each as soon as its batch is
   * done). Offsets still commit only after the work is durable; a crash redelivers at most this
   * much more, which the idempotent handlers absorb.
   */
  KAFKA_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(5_000).default(200),
};
/** An optional value where empty means unset (compose passes `${VAR:-}` through as ''). */
const unsetWhenEmpty = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
/**
 * Where image blobs live (gateway and storage must name the same store): `file:///abs/dir`, a
 * directory on this machine (content-addressed; the default is `.data/blobs` under the working
 * directory), or `s3://bucket[/prefix][?endpoint=URL&region=R&forcePathStyle=true]`, an
 * S3-compatible bucket, with its key pair in BLOB_STORE_ACCESS_KEY_ID / _SECRET_ACCESS_KEY (both
 * or neither; neither: the AWS SDK's own chain).
 */
export const blobStoreEnv = {
  BLOB_STORE_URL: z
    .string()
    .default(`file://${resolve('.data/blobs')}`)
    .superRefine((url, ctx) => {
      try {
        parseBlobStoreUrl(url);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  BLOB_STORE_ACCESS_KEY_ID: unsetWhenEmpty,
  BLOB_STORE_SECRET_ACCESS_KEY: unsetWhenEmpty,
};
export const databaseEnv = {
  DATABASE_URL: url(['postgres', 'postgresql']).default(
    'postgres://postgres@127.0.0.1:5432/parley',
  ),
  /**
   * A PostgreSQL connection silent this long (ms) with a statement in flight is asked about, and
   * dropped as stalled (a server or path that stopped answering without closing) unless the server
   * is still running that statement; the server ends a transaction left idle this long.
   */
  DATABASE_STALL_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
};
export const redisEnv = {
  REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379/0'),
  /**
   * The stack's name in a shared Redis: every key is prefixed `parley:<id>:` and every pub/sub
   * channel carries it, so two stacks on one Redis (any database numbers) never cross. The same
   * on every process of one stack.
   */
  PARLEY_CLUSTER_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, at most 32')
    .default('default'),
  /**
   * Every Redis connection is asked PING this often (ms), and one whose answer takes as long again
   * is taken for stalled (a peer or path that stopped answering without closing) and dropped, so
   * it reconnects and subscribes again: a stall is noticed within twice this.
   */
  REDIS_LIVENESS_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(REDIS_LIVENESS_DEFAULT_MS),
};
export const portEnv = (defaultPort: number) => ({ PORT: port.default(defaultPort) });
