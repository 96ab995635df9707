/**
 * The Parley stack as data: which processes run, on which ports, with which environment. The local
 * launcher (`scripts/stack.sh up`), the e2e test set-up and the docker-compose drift test all read
 * this, so there is one list of services and variables.
 */
export type ServiceKind = 'gateway' | 'session' | 'presence' | 'storage';

export interface ServiceDefinition {
  kind: ServiceKind;
  /** Unique instance name, e.g. gateway-1. */
  name: string;
  /** Compiled entry point, relative to the repository root. */
  entry: string;
  port: number;
  env: Record<string, string>;
}

export interface StackOptions {
  /** Gateways (PARLEY_GATEWAYS), at most MAX_GATEWAYS: they listen on basePort, basePort+1, ... */
  gateways: number;
  /**
   * Replicas of each of session, presence and storage (PARLEY_REPLICAS, default 1), sharing their
   * consumer groups: replica r (0-based) of each listens on basePort+10/11/12 + 100*r and is named
   * `session`, `session-2`, ... (the first keeps the plain name).
   */
  replicas?: number;
  basePort: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  /**
   * The stack's name in a shared Redis (PARLEY_CLUSTER_ID): its keys' prefix and its channels'
   * part. Defaults to `stack-<basePort>`, so two stacks on one machine (a development stack and
   * the tests) never cross, whatever Redis database each uses.
   */
  clusterId?: string;
  kafkaBrokers: string;
  /**
   * Brokers the launcher starts when none answers (PARLEY_KAFKA_BROKERS): 1, or a cluster of 3
   * on kafkaBrokers' first port and the two after it (scripts/kafka.sh).
   */
  kafkaClusterSize?: number;
  logLevel: string;
  nodeEnv: 'development' | 'test' | 'production';
  /** The gateways' shared signing key (the launcher keeps one in .data/jwt-secret). */
  jwtSecret?: string;
  /** Where gateways and storage keep image blobs (BLOB_STORE_URL): one store for the stack. */
  blobStoreUrl?: string;
  /** The S3 store's key pair (BLOB_STORE_ACCESS_KEY_ID / BLOB_STORE_SECRET_ACCESS_KEY). */
  blobStoreCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** Storage's DATABASE_URL when it differs (the e2e set-up routes it through a blockable proxy). */
  storageDatabaseUrl?: string;
  /** The first gateway's REDIS_URL when it differs (the e2e set-up routes it through a proxy). */
  firstGatewayRedisUrl?: string;
  /**
   * Development and test stacks run on loopback: the load tool and the tests register many users
   * from 127.0.0.1, so the registration limit exempts loopback there (REGISTER_EXEMPT_ADDRESSES).
   */
  exemptLoopbackFromRegistrationLimit?: boolean;
  /** Which peers may set X-Forwarded-For (TRUST_PROXY); the e2e tests simulate many clients. */
  trustProxy?: string;
  /** Extra variables per service kind (the e2e set-up's test tuning); not part of a deployment. */
  extraEnv?: Partial<Record<ServiceKind, Record<string, string>>>;
}

/** Every form of the loopback address a request from this machine can arrive with. */
export const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/** Gateways take basePort..basePort+9; the other services start at basePort+10. */
export const MAX_GATEWAYS = 10;

/** The loopback brokers of a local cluster of `size` whose first broker is `first` (host:port). */
export function localKafkaBrokers(first: string, size: number): string {
  const [host, port] = first.split(':');
  return Array.from({ length: size }, (_, i) => `${host}:${Number(port) + i}`).join(',');
}

export const DEFAULT_STACK_OPTIONS: StackOptions = {
  gateways: 2,
  basePort: 3000,
  host: '127.0.0.1',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/parley',
  redisUrl: 'redis://127.0.0.1:6379/0',
  kafkaBrokers: '127.0.0.1:9092',
  logLevel: 'info',
  nodeEnv: 'development',
  exemptLoopbackFromRegistrationLimit: true,
};

/** What every service takes from the launcher. */
const SERVICE_ENV_VARS = ['NODE_ENV', 'LOG_LEVEL', 'HOST', 'PORT', 'KAFKA_BROKERS'] as const;
/** The stack's Redis and its name there (key prefix, channel part). */
const REDIS_ENV_VARS = ['REDIS_URL', 'PARLEY_CLUSTER_ID'] as const;

/** The blob store gateways and storage share, and its S3 key pair when it is a bucket. */
const BLOB_STORE_ENV_VARS = [
  'BLOB_STORE_URL',
  'BLOB_STORE_ACCESS_KEY_ID',
  'BLOB_STORE_SECRET_ACCESS_KEY',
] as const;

/** Every variable the launcher may set, per service kind (docker-compose must carry the same). */
export const STACK_ENV_VARS: Record<ServiceKind, readonly string[]> = {
  gateway: [
    ...SERVICE_ENV_VARS,
    'DATABASE_URL',
    ...REDIS_ENV_VARS,
    'GATEWAY_ID',
    'GATEWAY_PUBLIC_URL',
    'JWT_SECRET',
    'WS_ALLOWED_ORIGINS',
    'TRUST_PROXY',
    'REGISTER_EXEMPT_ADDRESSES',
    ...BLOB_STORE_ENV_VARS,
  ],
  session: [...SERVICE_ENV_VARS, ...REDIS_ENV_VARS],
  presence: [...SERVICE_ENV_VARS, 'DATABASE_URL', ...REDIS_ENV_VARS],
  storage: [...SERVICE_ENV_VARS, 'DATABASE_URL', ...REDIS_ENV_VARS, ...BLOB_STORE_ENV_VARS],
};

/**
 * Node flags every service runs with (docker-compose.yml passes the same; neither can go in
 * NODE_OPTIONS). Both are V8's collector (docs/PERFORMANCE.md):
 *
 * - a 16-32 MiB young generation instead of V8's 1 MiB start: the services allocate fast and
 *   briefly (frames, events, rows), and scavenging a larger nursery less often cut GC from 9-16%
 *   to 6-13% of each service's CPU at 1,500 msg/s;
 * - one memory-reducing collection once a burst is over, not three: after a ramp of 10,000
 *   connects each gateway's three `Mark-Compact (reduce)` were most of its CPU in the idle
 *   minute that followed; the first gives back most of the heap the burst grew.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = [
  '--min-semi-space-size=16',
  '--max-semi-space-size=32',
  '--memory-reducer-single-gc',
];

export function defineStack(options: StackOptions): ServiceDefinition[] {
  if (options.gateways > MAX_GATEWAYS) {
    throw new Error(`at most ${MAX_GATEWAYS} gateways (PARLEY_GATEWAYS) per stack`);
  }
  const common = {
    NODE_ENV: options.nodeEnv,
    LOG_LEVEL: options.logLevel,
    HOST: options.host,
    KAFKA_BROKERS: options.kafkaBrokers,
  };
  const clusterId = options.clusterId ?? `stack-${options.basePort}`;
  const blobStoreEnv = {
    BLOB_STORE_URL: options.blobStoreUrl,
    BLOB_STORE_ACCESS_KEY_ID: options.blobStoreCredentials?.accessKeyId,
    BLOB_STORE_SECRET_ACCESS_KEY: options.blobStoreCredentials?.secretAccessKey,
  };
  const pick = (kind: ServiceKind, env: Record<string, string | undefined>) =>
    Object.fromEntries(
      STACK_ENV_VARS[kind].filter((k) => env[k] !== undefined).map((k) => [k, env[k] as string]),
    );
  const services: ServiceDefinition[] = [];
  const gatewayPorts = Array.from({ length: options.gateways }, (_, i) => options.basePort + i);
  // A page served by any gateway may open its socket on any other (the directory picks).
  const origins = gatewayPorts.map((port) => `http://${options.host}:${port}`).join(',');
  for (let i = 0; i < options.gateways; i++) {
    const port = options.basePort + i;
    services.push({
      kind: 'gateway',
      name: `gateway-${i + 1}`,
      entry: 'dist/apps/gateway/src/main.js',
      port,
      env: pick('gateway', {
        ...common,
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: (i === 0 && options.firstGatewayRedisUrl) || options.redisUrl,
        PARLEY_CLUSTER_ID: clusterId,
        GATEWAY_ID: `gateway-${i + 1}`,
        GATEWAY_PUBLIC_URL: `ws://${options.host}:${port}/ws`,
        JWT_SECRET: options.jwtSecret,
        WS_ALLOWED_ORIGINS: origins,
        TRUST_PROXY: options.trustProxy,
        REGISTER_EXEMPT_ADDRESSES: options.exemptLoopbackFromRegistrationLimit
          ? LOOPBACK_ADDRESSES.join(',')
          : undefined,
        ...blobStoreEnv,
      }),
    });
  }
  const others: [ServiceKind, number][] = [
    ['session', 10],
    ['presence', 11],
    ['storage', 12],
  ];
  for (let r = 0; r < (options.replicas ?? 1); r++) {
    for (const [kind, offset] of others) {
      const port = options.basePort + offset + 100 * r;
      services.push({
        kind,
        name: r === 0 ? kind : `${kind}-${r + 1}`,
        entry: `dist/apps/${kind}/src/main.js`,
        port,
        env: pick(kind, {
          ...common,
          PORT: String(port),
          DATABASE_URL:
            kind === 'storage' && options.storageDatabaseUrl
              ? options.storageDatabaseUrl
              : options.databaseUrl,
          REDIS_URL: options.redisUrl,
          PARLEY_CLUSTER_ID: clusterId,
          ...blobStoreEnv,
        }),
      });
    }
  }
  for (const service of services) Object.assign(service.env, options.extraEnv?.[service.kind]);
  return services;
}
