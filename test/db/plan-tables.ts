import { randomUUID } from 'node:crypto';
import { postgresPoolOptions } from '@parley/common';
import { Client } from 'pg';
import { REPO_TEST_DATABASE_URL, type RepoTestDb, useRepoTestDb } from './repo-test-db';

/**
 * A DataSource of one pooled connection, with the session settings of every service's connections,
 * whose statements read and write copies of `tables` (columns, constraints and indexes as
 * migrated; no rows, no foreign keys) in a schema of the file's own, dropped after it
 * (`search_path`: the copies first, then everything else). For plan-choice checks: the planner's
 * choices turn on the tables' statistics, which in the shared database depend on what the specs
 * running beside the file wrote and when; the copies hold what the spec writes and nothing else.
 * LIKE names the copied indexes anew: find one by its definition (`indexOf`). (A file apart from
 * repo-test-db.ts, which the db project's global set-up loads outside the specs' path aliases.)
 */
export function usePlanTables(tables: readonly string[]): RepoTestDb & {
  /** The name of the copied index of `table` whose definition contains `definition`. */
  indexOf(table: string, definition: string): Promise<string>;
} {
  const schema = `plan_${randomUUID().replace(/-/g, '')}`;
  const admin = async (run: (client: Client) => Promise<void>) => {
    const client = new Client({ connectionString: REPO_TEST_DATABASE_URL });
    await client.connect();
    try {
      await run(client);
    } finally {
      await client.end();
    }
  };
  beforeAll(() =>
    admin(async (client) => {
      await client.query(`CREATE SCHEMA ${schema}`);
      for (const table of tables) {
        await client.query(`CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING ALL)`);
      }
    }),
  );
  const { options } = postgresPoolOptions({ owner: 'spec', stallTimeoutMs: 60_000 });
  const db = useRepoTestDb([], { max: 1, options: `${options} -c search_path=${schema},public` });
  afterAll(() => admin((client) => client.query(`DROP SCHEMA ${schema} CASCADE`).then(() => {})));
  return {
    get dataSource() {
      return db.dataSource;
    },
    async indexOf(table, definition) {
      const rows = await db.dataSource.query<{ indexname: string }[]>(
        `SELECT indexname FROM pg_indexes
          WHERE schemaname = $1 AND tablename = $2 AND strpos(indexdef, $3) > 0`,
        [schema, table, definition],
      );
      if (rows.length !== 1) throw new Error(`${rows.length} indexes of ${table} match`);
      return rows[0].indexname;
    },
  };
}
