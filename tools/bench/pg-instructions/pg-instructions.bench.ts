/**
 * Instructions per call of Parley's hot PostgreSQL statements, counted by valgrind's callgrind in
 * a single-user backend on a private copy of a database: the same run counts the same to within
 * about 0.01%, where PostgreSQL's CPU time per call on a shared, noisy server varied by half
 * (docs/PERFORMANCE.md, "The C collation and the messages' foreign key, counted in instructions").
 *
 *   npm run build && node dist/tools/bench/pg-instructions/pg-instructions.bench.js \
 *     --database postgres://postgres@127.0.0.1:5432/perf_x [--cases others,positions,...] \
 *     [--calls 100] [--warmup 20] [--plan auto|force_custom_plan|force_generic_plan] [--keep]
 *
 * Needs valgrind and PostgreSQL's server binaries (PG_BIN, else the newest
 * /usr/lib/postgresql/<n>/bin). It dumps the database (pg_dump) into a cluster of its own in a
 * directory under /tmp (run as the postgres user when run as root; the shared server is only
 * read), VACUUM ANALYZEs it and picks each case's parameters there, then stops it. Per case it
 * runs the warm-up calls alone, then the warm-up calls and `calls` more, each on a fresh copy of
 * the stopped cluster, and prints the difference per call. Not counted: printing the rows
 * (`debugtup`, which the wire protocol does not run) and parsing each EXECUTE's text
 * (`pg_parse_query`: a Bind parses nothing). Counted: everything else a call does, its commit
 * included.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { positiveInt } from '../bench-inputs';
import { callgrindInstructions, instructionsPerCall } from './callgrind-totals';
import {
  busiestUser,
  type InstructionCase,
  instructionCases,
  parameterTypes,
} from './instruction-cases';
import {
  PLAN_CACHE_MODES,
  type PlanCacheMode,
  singleUserScripts,
  type SingleUserScripts,
} from './single-user-script';

/** The private cluster's database, and the port naming its socket (it listens on no TCP port). */
const DATABASE = 'parley';
const PORT = '5432';

interface Options {
  database: string;
  cases: string[];
  calls: number;
  warmUp: number;
  plan: PlanCacheMode;
  keep: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      database: { type: 'string' },
      cases: { type: 'string', default: '' },
      calls: { type: 'string' },
      warmup: { type: 'string' },
      plan: { type: 'string', default: 'auto' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (!values.database) throw new Error('--database <postgres url> is required');
  const plan = PLAN_CACHE_MODES.find((mode) => mode === values.plan);
  if (!plan) throw new Error(`--plan is one of ${PLAN_CACHE_MODES.join(', ')}`);
  return {
    database: values.database,
    cases: values.cases.split(',').filter((name) => name !== ''),
    calls: positiveInt(values.calls, 100),
    warmUp: positiveInt(values.warmup, 20),
    plan,
    keep: values.keep,
  };
}

/** PostgreSQL's server binaries: PG_BIN, else the newest installed major version's. */
function serverBinaries(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const bin = versions
    .map((v) => join(root, v, 'bin'))
    .find((b) => existsSync(join(b, 'postgres')));
  if (!bin) throw new Error('no PostgreSQL server binaries found: set PG_BIN');
  return bin;
}

/** initdb, pg_ctl and postgres refuse to run as root: as root, they run as the postgres user. */
const asRoot = process.getuid?.() === 0;
function asOwner(command: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
}

/** Runs a command to its end; throws with the end of its stderr if it fails. */
function run(command: string, args: readonly string[], stdin?: number): string {
  const result = spawnSync(command, args, {
    stdio: [stdin ?? 'ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args[0] ?? ''} failed (${result.status}): ${result.stderr.slice(-2000)}`,
    );
  }
  return result.stderr;
}

/** The private cluster: made, filled from the source database, analyzed; then stopped. */
class PrivateCluster {
  readonly data: string;

  constructor(
    readonly dir: string,
    private readonly bin: string,
  ) {
    this.data = join(dir, 'data');
  }

  async create(source: string): Promise<void> {
    const src = new Client({ connectionString: source });
    await src.connect();
    const { rows } = await src
      .query<{ collate: string }>(
        'SELECT datcollate AS collate FROM pg_database WHERE datname = current_database()',
      )
      .finally(() => src.end());
    run(
      ...asOwner(join(this.bin, 'initdb'), [
        '-D',
        this.data,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        `--locale=${rows[0].collate}`,
        '--no-sync',
      ]),
    );
    this.pgCtl([
      '-w',
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      `-p ${PORT} -k ${this.dir} -c listen_addresses=''`,
      'start',
    ]);
    const admin = this.client('postgres');
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`).finally(() => admin.end());
    execFileSync(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        'pg_dump --no-owner --no-privileges -d "$1" | psql -q -v ON_ERROR_STOP=1 -h "$2" -p "$3" -U postgres -d "$4" > /dev/null',
        'dump',
        source,
        this.dir,
        PORT,
        DATABASE,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }

  client(database = DATABASE): Client {
    return new Client({ host: this.dir, port: Number(PORT), user: 'postgres', database });
  }

  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (existsSync(join(this.data, 'postmaster.pid'))) this.pgCtl(['-m', mode, '-w', 'stop']);
  }

  private pgCtl(args: readonly string[]): void {
    run(...asOwner(join(this.bin, 'pg_ctl'), ['-D', this.data, ...args]));
  }

  /** Instructions a single-user backend on a fresh copy of the stopped cluster runs for `script`. */
  count(script: string): number {
    const copy = join(this.dir, 'run');
    const scriptFile = join(this.dir, 'script.sql');
    const out = join(this.dir, 'callgrind.out');
    rmSync(copy, { recursive: true, force: true });
    rmSync(out, { force: true });
    run(...asOwner('cp', ['-a', this.data, copy]));
    writeFileSync(scriptFile, script);
    const stdin = openSync(scriptFile, 'r');
    let stderr: string;
    try {
      stderr = run(
        ...asOwner('valgrind', [
          '--tool=callgrind',
          `--callgrind-out-file=${out}`,
          '--toggle-collect=debugtup',
          '--toggle-collect=pg_parse_query',
          // After the toggles: naming one turns collecting at the start off.
          '--collect-atstart=yes',
          join(this.bin, 'postgres'),
          '--single',
          '-j',
          '-D',
          copy,
          DATABASE,
        ]),
        stdin,
      );
    } finally {
      closeSync(stdin);
    }
    // A failed call would count less, not fail the run: the backend's errors go to stderr.
    const failed = /^(ERROR|FATAL|PANIC):.*$/m.exec(stderr);
    if (failed) throw new Error(`the single-user backend reported: ${failed[0]}`);
    return callgrindInstructions(readFileSync(out, 'utf8'));
  }
}

/** The postgres user's ids, to give it the working directory when run as root. */
const postgresIds = asRoot
  ? {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    }
  : undefined;

interface Measured {
  name: string;
  perCall: number;
  warmUpOnly: number;
  withCalls: number;
}

async function main(): Promise<void> {
  const opts = options();
  const cases: InstructionCase[] = instructionCases(opts.cases);
  run('valgrind', ['--version']);
  const dir = mkdtempSync('/tmp/pg-instructions-');
  if (postgresIds) chownSync(dir, postgresIds.uid, postgresIds.gid);
  const cluster = new PrivateCluster(dir, serverBinaries());
  try {
    await cluster.create(opts.database);
    const db = cluster.client();
    await db.connect();
    const scripts = new Map<string, SingleUserScripts>();
    try {
      await db.query('VACUUM ANALYZE');
      const userId = await busiestUser(db);
      for (const c of cases) {
        const paramsOf = await c.plan(db, userId);
        const calls = Array.from({ length: opts.warmUp + opts.calls }, (_, i) => paramsOf(i));
        const types = await parameterTypes(db, c.statement);
        scripts.set(
          c.name,
          singleUserScripts(c.statement, calls, opts.warmUp, {
            parameterTypes: types,
            planCacheMode: opts.plan,
          }),
        );
      }
    } finally {
      await db.end();
    }
    cluster.stop();
    const measured: Measured[] = [];
    for (const c of cases) {
      const script = scripts.get(c.name)!;
      const warmUpOnly = cluster.count(script.warmUp);
      const withCalls = cluster.count(script.measured);
      const perCall = instructionsPerCall(warmUpOnly, withCalls, opts.calls);
      measured.push({ name: c.name, perCall, warmUpOnly, withCalls });
      console.log(
        `${c.name.padEnd(18)} ${Math.round(perCall).toLocaleString('en-US').padStart(12)} instructions per call`,
      );
    }
    console.log(
      JSON.stringify({
        database: opts.database.replace(/\/\/[^@]*@/, '//'),
        plan: opts.plan,
        calls: opts.calls,
        warmUp: opts.warmUp,
        measured,
      }),
    );
  } finally {
    cluster.stop('immediate');
    if (opts.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
