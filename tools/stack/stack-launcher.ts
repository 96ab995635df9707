import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  rmSync,
  writeFileSync,
  WriteStream,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDatabase } from '@parley/common';
import { createTopics } from '../kafka/create-topics';
import { preflight } from './preflight';
import { holdFileOf, pidFileOf } from './service-files';
import { gatewayFailoverFloor } from './restart-backoff';
import { ServiceSupervisor } from './service-supervisor';
import {
  defineStack,
  SERVICE_NODE_FLAGS,
  ServiceDefinition,
  StackOptions,
} from './stack-definition';

/** The repository root, whether this runs from tools/ (tests) or dist/tools/ (the launcher). */
function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'nest-cli.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);

export interface LaunchOptions extends StackOptions {
  /** Folder for one log file per service. */
  logDir: string;
  /** Also echo service logs to this stream (the interactive launcher uses stdout). */
  echo?: NodeJS.WritableStream;
  readyTimeoutMs?: number;
  /** Start the Kafka broker with scripts/kafka.sh if none answers (default true). */
  startKafka?: boolean;
  /** scripts/kafka.sh's KAFKA_DATA_DIR for a broker it starts (default: its own, .data/kafka). */
  kafkaDataDir?: string;
  say?: (line: string) => void;
}

export interface RunningService extends ServiceDefinition {
  url: string;
  /** The service's current process: a restart replaces it (stop() stops whichever runs). */
  process: ChildProcess;
  /** How many times the supervisor restarted the service since the stack came up. */
  restarts: number;
  /** Every process of the service appends to this one log file. */
  log: WriteStream;
  /** `<logDir>/<name>.pid`: the current process's pid, rewritten on every (re)start. */
  pidFile: string;
  /** `<logDir>/<name>.hold`: while it exists the supervisor does not (re)start the service. */
  holdFile: string;
}

export interface RunningStack {
  services: RunningService[];
  kafkaStartedHere: boolean;
  stop(options?: { stopKafka?: boolean }): Promise<void>;
}

function kafkaScript(args: string[], env: NodeJS.ProcessEnv): number {
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'kafka.sh'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  return result.status ?? 1;
}

async function waitReady(service: RunningService, deadline: number): Promise<void> {
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (service.process.exitCode !== null) {
      throw new Error(
        `${service.name} exited with code ${service.process.exitCode} (see its log in the log folder)`,
      );
    }
    try {
      const res = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${service.name} was not ready in time (last answer: ${last})`);
}

function stopProcess(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolveStop) => {
    // No pid: it never started (the spawn failed), so no 'exit' will come.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      return resolveStop();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Brings the stack up: checks PostgreSQL/Redis, starts Kafka (or reuses a running broker),
 * creates the topics, makes sure the database exists, starts every service (each service runs
 * its own migrations), and waits until every one reports ready. From then on a service whose
 * process exits is restarted (ServiceSupervisor) until stop(). Each service's current pid is in
 * `<logDir>/<name>.pid`.
 */
export async function launchStack(options: LaunchOptions): Promise<RunningStack> {
  const say = options.say ?? ((line: string) => process.stdout.write(`[stack] ${line}\n`));
  const problems = await preflight(options.databaseUrl, options.redisUrl);
  if (problems.length > 0) {
    throw new Error(problems.map((p) => `${p.what}: ${p.howToFix}`).join('\n'));
  }

  const [kafkaHost, kafkaPort] = options.kafkaBrokers.split(',')[0].split(':');
  const kafkaEnv = {
    ...process.env,
    KAFKA_PORT: kafkaPort,
    PARLEY_KAFKA_BROKERS: String(options.kafkaClusterSize ?? 1),
    ...(options.kafkaDataDir ? { KAFKA_DATA_DIR: options.kafkaDataDir } : {}),
  };
  let kafkaStartedHere = false;
  if (kafkaScript(['status'], kafkaEnv) !== 0) {
    if (options.startKafka === false)
      throw new Error(`Kafka is not reachable at ${kafkaHost}:${kafkaPort}`);
    say(
      (options.kafkaClusterSize ?? 1) > 1
        ? `starting a Kafka cluster of ${options.kafkaClusterSize} brokers`
        : 'starting Kafka',
    );
    if (kafkaScript(['start'], kafkaEnv) !== 0) throw new Error('Kafka failed to start');
    kafkaStartedHere = true;
  } else {
    say(`reusing the Kafka broker at ${options.kafkaBrokers}`);
  }

  for (const line of await createTopics(options.kafkaBrokers.split(','))) say(line);
  const db = await ensureDatabase(options.databaseUrl);
  say(`database ${new URL(options.databaseUrl).pathname.slice(1)}: ${db}`);

  mkdirSync(options.logDir, { recursive: true });
  // Extra Node flags for every service, e.g. PARLEY_NODE_ARGS="--cpu-prof --cpu-prof-dir=.data/prof".
  const nodeArgs = [
    ...SERVICE_NODE_FLAGS,
    ...(process.env.PARLEY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  ];
  /** Starts one process of the service, appending its output to the log, and records its pid. */
  const spawnService = (
    service: Pick<RunningService, 'name' | 'entry' | 'env' | 'log' | 'pidFile'>,
  ) => {
    const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, service.entry)], {
      cwd: REPO_ROOT,
      // PARLEY_PARENT_PID: the service exits when this launcher is gone (bootstrap's exitWithParent).
      env: { PATH: process.env.PATH ?? '', ...service.env, PARLEY_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        service.log.write(chunk);
        if (options.echo) options.echo.write(chunk);
      });
    }
    child.on('error', (err) => say(`${service.name}: ${err.message}`));
    if (child.pid !== undefined) writeFileSync(service.pidFile, `${child.pid}\n`);
    return child;
  };
  const startedAt = Date.now();
  const services: RunningService[] = defineStack(options).map((def) => {
    const log = createWriteStream(join(options.logDir, `${def.name}.log`), { flags: 'a' });
    const pidFile = pidFileOf(options.logDir, def.name);
    const holdFile = holdFileOf(options.logDir, def.name);
    // A hold left by an earlier stack must not keep this one's service down.
    rmSync(holdFile, { force: true });
    const child = spawnService({ ...def, log, pidFile });
    return {
      ...def,
      url: `http://${options.host}:${def.port}`,
      process: child,
      restarts: 0,
      log,
      pidFile,
      holdFile,
    };
  });
  const supervisor = new ServiceSupervisor<RunningService>(
    spawnService,
    say,
    undefined,
    Date.now,
    (s) => existsSync(s.holdFile),
    250,
    gatewayFailoverFloor(services),
  );

  const stop = async (stopOptions?: { stopKafka?: boolean }) => {
    // No restart from here on: a pending one is cancelled, an exit during the stop is final.
    supervisor.stop();
    // Gateways first (no new traffic), then the consumers, which drain and commit before exiting.
    const gateways = services.filter((s) => s.kind === 'gateway');
    const rest = services.filter((s) => s.kind !== 'gateway');
    await Promise.all(gateways.map((s) => stopProcess(s.process, 15000)));
    await Promise.all(rest.map((s) => stopProcess(s.process, 15000)));
    for (const s of services) {
      s.log.end();
      // A stale pid could name an unrelated process later.
      rmSync(s.pidFile, { force: true });
      rmSync(s.holdFile, { force: true });
    }
    if (kafkaStartedHere && stopOptions?.stopKafka !== false) kafkaScript(['stop'], kafkaEnv);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120000);
  try {
    await Promise.all(services.map((s) => waitReady(s, deadline)));
  } catch (err) {
    await stop();
    throw err;
  }
  // Supervised from here: an exit during start-up fails the launch above instead (a service that
  // cannot start would otherwise be restarted until the deadline).
  for (const s of services) supervisor.watch(s, startedAt);

  return { services, kafkaStartedHere, stop };
}
