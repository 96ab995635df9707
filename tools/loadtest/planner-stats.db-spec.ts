import { Client } from 'pg';
import { REPO_TEST_DATABASE_URL } from '../../test/db/repo-test-db';
import { analyzeDueTables, refreshPlannerStats } from './planner-stats';

describe('refreshPlannerStats (PostgreSQL)', () => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: REPO_TEST_DATABASE_URL });
    await client.connect();
    await client.query('DROP TABLE IF EXISTS loadtest_planner_stats');
    await client.query('CREATE TABLE loadtest_planner_stats (id int PRIMARY KEY)');
    await client.query('INSERT INTO loadtest_planner_stats SELECT generate_series(1, 5000)');
    await client.query('SELECT pg_stat_force_next_flush()');
  });

  afterAll(async () => {
    await client.query('DROP TABLE IF EXISTS loadtest_planner_stats');
    await client.end();
  });

  /** What the planner knows of the table's size: -1 until it is first analyzed (or vacuumed). */
  async function plannerRows(): Promise<number> {
    const { rows } = await client.query<{ reltuples: number }>(
      `SELECT reltuples FROM pg_class WHERE relname = 'loadtest_planner_stats'`,
    );
    return Number(rows[0].reltuples);
  }

  it('analyzes the database when the server runs without autovacuum, and leaves it alone otherwise', async () => {
    const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
    expect(await plannerRows()).toBe(-1);

    const done = await refreshPlannerStats(REPO_TEST_DATABASE_URL);

    if (rows[0].autovacuum === 'on') {
      expect(done).toBe('autovacuum on');
      expect(await plannerRows()).toBe(-1);
    } else {
      expect(done).toBe('analyzed');
      expect(await plannerRows()).toBe(5000);
    }
  });

  /** Rows changed since the table's last ANALYZE, as the statistics system counts them. */
  async function changedSinceAnalyze(): Promise<number> {
    const { rows } = await client.query<{ n: string }>(
      `SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables
        WHERE relname = 'loadtest_planner_stats'`,
    );
    return Number(rows[0].n);
  }

  /** Inserts rows, then has this session report its counts at once (not within 1-10 s). */
  async function insertRows(from: number, to: number): Promise<void> {
    await client.query(
      'INSERT INTO loadtest_planner_stats SELECT generate_series($1::int, $2::int)',
      [from, to],
    );
    await client.query('SELECT pg_stat_force_next_flush()');
  }

  it('between steps, analyzes the tables autovacuum would have, and only those', async () => {
    const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
    await client.query('ANALYZE loadtest_planner_stats');
    expect(await plannerRows()).toBe(5000);
    const table = 'public.loadtest_planner_stats';

    // 100 rows changed: under autovacuum's 50 + 10% of 5,000.
    await insertRows(5001, 5100);
    expect(await changedSinceAnalyze()).toBe(100);
    const first = await analyzeDueTables(REPO_TEST_DATABASE_URL);
    if (rows[0].autovacuum === 'on') {
      expect(first).toBe('autovacuum on');
      return;
    }
    expect(first).not.toBe('autovacuum on');
    expect(first !== 'autovacuum on' && first.analyzed).not.toContain(table);
    expect(await plannerRows()).toBe(5000);

    // 1,100 rows changed: past it, so the planner learns the table's new size.
    await insertRows(5101, 6100);
    expect(await changedSinceAnalyze()).toBe(1100);
    const second = await analyzeDueTables(REPO_TEST_DATABASE_URL);
    expect(second !== 'autovacuum on' && second.analyzed).toContain(table);
    expect(await plannerRows()).toBe(6100);
    expect(await changedSinceAnalyze()).toBe(0);
  });

  it('refuses a database that is not on loopback', async () => {
    await expect(refreshPlannerStats('postgres://postgres@10.0.0.1:5432/parley')).rejects.toThrow(
      'non-loopback',
    );
    await expect(analyzeDueTables('postgres://postgres@10.0.0.1:5432/parley')).rejects.toThrow(
      'non-loopback',
    );
  });
});
