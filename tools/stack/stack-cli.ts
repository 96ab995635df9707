import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_STACK_OPTIONS, localKafkaBrokers, StackOptions } from './stack-definition';
import { holdFileOf, pidFileOf } from './service-files';
import { launchStack, REPO_ROOT } from './stack-launcher';

/** Where the development stack keeps its gateways' signing key (git-ignored, mode 0600). */
export const DEV_JWT_SECRET_FILE = join(REPO_ROOT, '.data', 'jwt-secret');

/**
 * The development stack's JWT secret: made once at random and kept in `file`, so every gateway
 * gets the same one and tokens survive a restart of the stack. Never a value from the source.
 */
export function developmentJwtSecret(file = DEV_JWT_SECRET_FILE): string {
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** Options from the environment (same variable names as the services and docker-compose). */
export function stackOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  secret: () => string = developmentJwtSecret,
): StackOptions {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
    return n;
  };
  const kafkaClusterSize = int('PARLEY_KAFKA_BROKERS', 1);
  if (kafkaClusterSize !== 1 && kafkaClusterSize !== 3) {
    throw new Error('PARLEY_KAFKA_BROKERS must be 1 or 3');
  }
  return {
    ...DEFAULT_STACK_OPTIONS,
    gateways: int('PARLEY_GATEWAYS', DEFAULT_STACK_OPTIONS.gateways),
    replicas: int('PARLEY_REPLICAS', 1),
    basePort: int('PARLEY_BASE_PORT', DEFAULT_STACK_OPTIONS.basePort),
    databaseUrl: env.DATABASE_URL || DEFAULT_STACK_OPTIONS.databaseUrl,
    redisUrl: env.REDIS_URL || DEFAULT_STACK_OPTIONS.redisUrl,
    clusterId: env.PARLEY_CLUSTER_ID || undefined,
    kafkaBrokers:
      env.KAFKA_BROKERS || localKafkaBrokers(DEFAULT_STACK_OPTIONS.kafkaBrokers, kafkaClusterSize),
    kafkaClusterSize,
    logLevel: env.LOG_LEVEL || DEFAULT_STACK_OPTIONS.logLevel,
    jwtSecret: env.JWT_SECRET || secret(),
    blobStoreUrl: env.BLOB_STORE_URL || `file://${join(REPO_ROOT, '.data', 'blobs')}`,
    blobStoreCredentials:
      env.BLOB_STORE_ACCESS_KEY_ID && env.BLOB_STORE_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.BLOB_STORE_ACCESS_KEY_ID,
            secretAccessKey: env.BLOB_STORE_SECRET_ACCESS_KEY,
          }
        : undefined,
  };
}

async function up(): Promise<void> {
  const options = stackOptionsFromEnv();
  const logDir = join(REPO_ROOT, '.data', 'logs');
  const echo = process.env.PARLEY_ECHO_LOGS === '1' ? process.stdout : undefined;
  const stack = await launchStack({ ...options, logDir, echo });
  const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);
  say('Parley is up.');
  for (const s of stack.services) {
    const extra = s.kind === 'gateway' ? `  (WebSocket ${s.env.GATEWAY_PUBLIC_URL})` : '';
    say(`  ${s.name.padEnd(10)} ${s.url}${extra}`);
  }
  const first = stack.services.find((s) => s.kind === 'gateway');
  if (first) say(`Clients connect through any gateway, e.g. ${first.url}/v1/auth/register`);
  say(`Logs: ${logDir}/<service>.log   Status: bash scripts/stack.sh status   Stop: Ctrl-C`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping services (consumers drain and commit first)...`);
    void stack.stop().then(() => {
      say('stopped.');
      process.exit(0);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => shutdown(signal));
  }
  // A service that exits is restarted by the launcher's supervisor, which says so; the stack stays
  // up until a signal stops it.
}

/** What each one-service command does to the running stack's service (by its pid and hold files). */
const SERVICE_COMMANDS: Record<string, { signal?: NodeJS.Signals; hold?: boolean; what: string }> =
  {
    kill: { signal: 'SIGKILL', what: 'killed (SIGKILL); the launcher restarts it' },
    restart: { signal: 'SIGTERM', what: 'stopping cleanly; the launcher restarts it' },
    stop: { signal: 'SIGTERM', hold: true, what: 'stopping; it stays down until `start`' },
    start: { hold: false, what: 'hold lifted; the launcher starts it' },
    pause: { signal: 'SIGSTOP', what: 'paused (SIGSTOP): alive but silent until `resume`' },
    resume: { signal: 'SIGCONT', what: 'resumed (SIGCONT)' },
  };

/** `stack.sh kill|restart|stop|start|pause|resume <service>` against the running launcher. */
function serviceCommand(command: string, name: string | undefined): void {
  const action = SERVICE_COMMANDS[command];
  const logDir = join(REPO_ROOT, '.data', 'logs');
  const pidFile = pidFileOf(logDir, name ?? '');
  if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(pidFile)) {
    const running = existsSync(logDir)
      ? readdirSync(logDir)
          .filter((f) => f.endsWith('.pid'))
          .map((f) => f.slice(0, -4))
      : [];
    throw new Error(
      `usage: stack.sh ${command} <service>; running: ${running.join(', ') || 'none (is the stack up?)'}`,
    );
  }
  if (action.hold === true)
    writeFileSync(holdFileOf(logDir, name), `${new Date().toISOString()}\n`);
  if (action.hold === false) rmSync(holdFileOf(logDir, name), { force: true });
  if (action.signal) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, action.signal);
  }
  process.stdout.write(`[stack] ${name}: ${action.what}\n`);
}

if (require.main === module) {
  // The terminal may go away (a closed tmux pane, a dropped SSH session): writing to it must not
  // kill the launcher before it has stopped everything (SIGHUP stops the stack, below).
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const command = process.argv[2] ?? 'up';
  if (command in SERVICE_COMMANDS) {
    try {
      serviceCommand(command, process.argv[3]);
      process.exit(0);
    } catch (err) {
      process.stderr.write(`[stack] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    }
  }
  if (command !== 'up') {
    process.stderr.write(
      `usage: stack-cli up | ${Object.keys(SERVICE_COMMANDS).join('|')} <service>\n`,
    );
    process.exit(2);
  }
  up().catch((err: unknown) => {
    process.stderr.write(`[stack] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
