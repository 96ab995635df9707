import { DataSource, type EntitySchema, type MixedList, type QueryRunner } from 'typeorm';

/** The `db` project's database: recreated and migrated once per run by test/db/global-setup.ts. */
export const REPO_TEST_DATABASE_URL =
  process.env.PARLEY_REPO_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/parley_repo_test';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

export interface RepoTestDb {
  /** The file's DataSource (open between its beforeAll and afterAll). */
  readonly dataSource: DataSource;
}

/**
 * Opens a TypeORM DataSource on the test database for one spec file (beforeAll) and closes it
 * after the file (afterAll). `entities`: what the repositories under test map (the gateway's
 * UserEntity and RefreshTokenEntity); repositories that only run SQL need none. `extra`: more
 * node-postgres pool settings (a session option the services set, say).
 */
export function useRepoTestDb(
  entities: Entities = [],
  extra: Record<string, unknown> = {},
): RepoTestDb {
  let dataSource: DataSource | undefined;
  beforeAll(async () => {
    dataSource = await new DataSource({
      type: 'postgres',
      url: REPO_TEST_DATABASE_URL,
      entities,
      synchronize: false,
      migrationsRun: false,
      logging: false,
      extra: { max: 10, connectionTimeoutMillis: 5000, ...extra },
    }).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    dataSource = undefined;
  });
  return {
    get dataSource(): DataSource {
      if (!dataSource) throw new Error('useRepoTestDb: the DataSource is open only inside tests');
      return dataSource;
    },
  };
}

/**
 * How often each named prepared statement was planned for its values (`custom`) and ran on its
 * kept generic plan (`generic`), from pg_prepared_statements. That view is per connection: open
 * `dataSource` with one pooled connection (`useRepoTestDb([], { max: 1 })`) so the statements
 * under test ran on the connection it reads.
 */
export async function planCounts(
  dataSource: DataSource,
  names: readonly string[],
): Promise<Record<string, { custom: number; generic: number }>> {
  const rows = await dataSource.query<{ name: string; custom: string; generic: string }[]>(
    `SELECT name, custom_plans AS custom, generic_plans AS generic
       FROM pg_prepared_statements WHERE name = ANY($1)`,
    [names],
  );
  return Object.fromEntries(
    rows.map((r) => [r.name, { custom: Number(r.custom), generic: Number(r.generic) }]),
  );
}

/**
 * The nodes of an EXPLAIN (FORMAT JSON) plan that read or write `table`, depth first: each one's
 * `field` (its node type, or the index it probes, for the nodes that probe one).
 */
export function planReadsOf(plan: unknown, table: string, field = 'Node Type'): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const fields = node as Record<string, unknown>;
    const value = fields[field];
    if (fields['Relation Name'] === table && typeof value === 'string') found.push(value);
    Object.values(fields).forEach(visit);
  };
  visit(plan);
  return found;
}

/**
 * A transaction on its own connection that takes a lock and holds it, so a test can start the
 * code under test concurrently, see it queue behind the lock (waitForWaiters), and release them
 * all at once: a race that happens on every run, not only when the timing is lucky.
 */
export class LockHolder {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly runner: QueryRunner,
    private readonly pid: number,
  ) {}

  static async begin(dataSource: DataSource): Promise<LockHolder> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const rows = await runner.manager.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
    return new LockHolder(dataSource, runner, rows[0].pid);
  }

  query<T>(sql: string, parameters: unknown[] = []): Promise<T> {
    return this.runner.manager.query<T>(sql, parameters);
  }

  /**
   * Resolves once `count` sessions wait (directly or behind another waiter) for a lock this
   * transaction holds, or once `settled` resolves (code that does not queue behind the lock
   * finishes instead; the test's assertions then say what went wrong). Gives up after
   * `timeoutMs`.
   */
  async waitForWaiters(count: number, settled: Promise<unknown>, timeoutMs = 5000): Promise<void> {
    let done = false;
    void settled.then(() => (done = true));
    const deadline = Date.now() + timeoutMs;
    while (!done && Date.now() < deadline) {
      // Transitively: a second waiter for a row lock queues behind the first (a tuple lock).
      const rows = await this.dataSource.query<{ waiting: number }[]>(
        `WITH RECURSIVE blocked (pid) AS (
           SELECT pid FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))
           UNION
           SELECT a.pid FROM pg_stat_activity a JOIN blocked b ON b.pid = ANY (pg_blocking_pids(a.pid))
         )
         SELECT count(*)::int AS waiting FROM blocked`,
        [this.pid],
      );
      if (rows[0].waiting >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async commit(): Promise<void> {
    try {
      await this.runner.commitTransaction();
    } finally {
      await this.runner.release();
    }
  }

  async rollback(): Promise<void> {
    try {
      await this.runner.rollbackTransaction();
    } finally {
      await this.runner.release();
    }
  }
}

/** The values of settled promises; throws (naming the reasons) if any of them rejected. */
export function fulfilledValues<T>(results: readonly PromiseSettledResult<T>[]): T[] {
  return results.map((result, i) => {
    if (result.status === 'fulfilled') return result.value;
    throw new Error(`contender ${i} of ${results.length} failed: ${String(result.reason)}`);
  });
}
