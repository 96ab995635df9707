import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { anyParam, preparedStatement, runPrepared } from './prepared-statement';

describe('runPrepared (PostgreSQL)', () => {
  const db = useRepoTestDb();

  const ECHO = preparedStatement(
    'spec.prepared.echo',
    'SELECT x, x * 2 AS doubled FROM unnest($1::int[]) AS x ORDER BY x',
  );
  const INSERT_ONE = preparedStatement(
    'spec.prepared.insert',
    'INSERT INTO prepared_spec (id) VALUES ($1) RETURNING id',
  );
  const PREPARED_HERE = 'SELECT name FROM pg_prepared_statements WHERE name = $1';

  // The db project's database is recreated on every run (test/db/global-setup.ts).
  beforeAll(async () => {
    await db.dataSource.query('CREATE TABLE IF NOT EXISTS prepared_spec (id int PRIMARY KEY)');
    await db.dataSource.query('TRUNCATE prepared_spec');
  });

  it('runs the statement on the pool with its values and returns the rows', async () => {
    const rows = await runPrepared<{ x: number; doubled: number }>(db.dataSource, ECHO, [[3, 1]]);
    expect(rows).toEqual([
      { x: 1, doubled: 2 },
      { x: 3, doubled: 6 },
    ]);
    // again, on whichever pooled connection: same answer from the (possibly) prepared statement
    expect(await runPrepared(db.dataSource, ECHO, [[5]])).toEqual([{ x: 5, doubled: 10 }]);
  });

  it("inside a transaction runs on the transaction's connection, as a named statement", async () => {
    await expect(
      db.dataSource.transaction(async (manager) => {
        expect(await runPrepared(manager, INSERT_ONE, [41])).toEqual([{ id: 41 }]);
        // PostgreSQL lists the name on this connection: it was prepared, not run unnamed
        expect(await manager.query(PREPARED_HERE, [INSERT_ONE.name])).toEqual([
          { name: INSERT_ONE.name },
        ]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // the insert was part of the rolled-back transaction
    expect(await db.dataSource.query('SELECT id FROM prepared_spec WHERE id = 41')).toEqual([]);
  });

  it("passes PostgreSQL's error code through (a unique violation is 23505)", async () => {
    await runPrepared(db.dataSource, INSERT_ONE, [7]);
    await expect(runPrepared(db.dataSource, INSERT_ONE, [7])).rejects.toMatchObject({
      code: '23505',
    });
  });

  it('anyParam: a key per element, the array read through a scalar subquery', async () => {
    await db.dataSource.query(
      'INSERT INTO prepared_spec (id) SELECT g FROM generate_series(100, 104) g',
    );
    const amongIds = preparedStatement(
      'spec.prepared.any',
      `SELECT id FROM prepared_spec WHERE id = ${anyParam('$1::int[]')} ORDER BY id`,
    );
    expect(amongIds.text).toContain('id = ANY((SELECT $1::int[])::int[])');
    expect(await runPrepared(db.dataSource, amongIds, [[104, 101, 99]])).toEqual([
      { id: 101 },
      { id: 104 },
    ]);
    expect(await runPrepared(db.dataSource, amongIds, [[]])).toEqual([]);
    expect(() => anyParam('$1')).toThrow("name the array's type");
  });

  it('refuses an entity manager outside a transaction', async () => {
    await expect(runPrepared(db.dataSource.manager, ECHO, [[1]])).rejects.toThrow(
      /no open transaction/,
    );
  });
});
