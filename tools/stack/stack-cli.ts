import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_STACK_OPTIONS, StackOptions } from './stack-definition';
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
  return {
    ...DEFAULT_STACK_OPTIONS,
    gateways: int('PARLEY_GATEWAYS', DEFAULT_STACK_OPTIONS.gateways),
    basePort: int('PARLEY_BASE_PORT', DEFAULT_STACK_OPTIONS.basePort),
    databaseUrl: env.DATABASE_URL || DEFAULT_STACK_OPTIONS.databaseUrl,
    redisUrl: env.REDIS_URL || DEFAULT_STACK_OPTIONS.redisUrl,
    kafkaBrokers: env.KAFKA_BROKERS || DEFAULT_STACK_OPTIONS.kafkaBrokers,
    logLevel: env.LOG_LEVEL || DEFAULT_STACK_OPTIONS.logLevel,
    jwtSecret: env.JWT_SECRET || secret(),
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

if (require.main === module) {
  const command = process.argv[2] ?? 'up';
  if (command !== 'up') {
    process.stderr.write(`usage: stack-cli up\n`);
    process.exit(2);
  }
  up().catch((err: unknown) => {
    process.stderr.write(`[stack] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
