import { Client } from 'pg';
import { REPO_TEST_DATABASE_URL } from '../../test/db/repo-test-db';
import { refreshPlannerStats } from './planner-stats';

describe('refreshPlannerStats (PostgreSQL)', () => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: REPO_TEST_DATABASE_URL });
    await client.connect();
    await client.query('DROP TABLE IF EXISTS loadtest_planner_stats');
    await client.query('CREATE TABLE loadtest_planner_stats (id int PRIMARY KEY)');
    await client.query('INSERT INTO loadtest_planner_stats SELECT generate_series(1, 5000)');
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

  it('refuses a database that is not on loopback', async () => {
    await expect(refreshPlannerStats('postgres://postgres@10.0.0.1:5432/parley')).rejects.toThrow(
      'non-loopback',
    );
  });
});
