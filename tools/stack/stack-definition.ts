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
  gateways: number;
  /** Gateways listen on basePort, basePort+1, ...; session/presence/storage on basePort+10/11/12. */
  basePort: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
  logLevel: string;
  nodeEnv: 'development' | 'test' | 'production';
  jwtSecret?: string;
  /** Storage's DATABASE_URL when it differs (the e2e set-up routes it through a blockable proxy). */
  storageDatabaseUrl?: string;
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
};

/** Every variable the launcher may set, per service kind (docker-compose must carry the same). */
export const STACK_ENV_VARS: Record<ServiceKind, readonly string[]> = {
  gateway: [
    'NODE_ENV',
    'LOG_LEVEL',
    'HOST',
    'PORT',
    'KAFKA_BROKERS',
    'DATABASE_URL',
    'REDIS_URL',
    'GATEWAY_ID',
    'GATEWAY_PUBLIC_URL',
    'JWT_SECRET',
  ],
  session: ['NODE_ENV', 'LOG_LEVEL', 'HOST', 'PORT', 'KAFKA_BROKERS', 'REDIS_URL'],
  presence: ['NODE_ENV', 'LOG_LEVEL', 'HOST', 'PORT', 'KAFKA_BROKERS', 'DATABASE_URL'],
  storage: ['NODE_ENV', 'LOG_LEVEL', 'HOST', 'PORT', 'KAFKA_BROKERS', 'DATABASE_URL'],
};

/**
 * Node flags every service runs with (docker-compose.yml passes the same). A 16-32 MiB young
 * generation instead of V8's 1 MiB start: the services allocate fast and briefly (frames, events,
 * rows), and scavenging a larger nursery less often cut GC from 9-16% to 6-13% of each service's
 * CPU at 1,500 msg/s (docs/PERFORMANCE.md). The minimum cannot go in NODE_OPTIONS.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = [
  '--min-semi-space-size=16',
  '--max-semi-space-size=32',
];

export function defineStack(options: StackOptions): ServiceDefinition[] {
  const common = {
    NODE_ENV: options.nodeEnv,
    LOG_LEVEL: options.logLevel,
    HOST: options.host,
    KAFKA_BROKERS: options.kafkaBrokers,
  };
  const pick = (kind: ServiceKind, env: Record<string, string | undefined>) =>
    Object.fromEntries(
      STACK_ENV_VARS[kind].filter((k) => env[k] !== undefined).map((k) => [k, env[k] as string]),
    );
  const services: ServiceDefinition[] = [];
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
        REDIS_URL: options.redisUrl,
        GATEWAY_ID: `gateway-${i + 1}`,
        GATEWAY_PUBLIC_URL: `ws://${options.host}:${port}/ws`,
        JWT_SECRET: options.jwtSecret,
      }),
    });
  }
  const others: [ServiceKind, number][] = [
    ['session', 10],
    ['presence', 11],
    ['storage', 12],
  ];
  for (const [kind, offset] of others) {
    const port = options.basePort + offset;
    services.push({
      kind,
      name: kind,
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
      }),
    });
  }
  return services;
}
