import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { pgTypeParsers } from './pg-arrays';
import { preparedStatement, runPrepared } from './prepared-statement';

describe('arrays through PostgreSQL (literal parameters, split results)', () => {
  const db = useRepoTestDb([], { types: pgTypeParsers });

  const ECHO = preparedStatement(
    'spec.pgArrays.echo',
    `SELECT $1::text[] AS texts, cardinality($1::text[]) AS n, $2::uuid[] AS ids,
            $3::int[] AS ints, $4::jsonb[] AS docs`,
  );

  it('sends text, uuid, int and jsonb arrays as literals and reads them back whole', async () => {
    const texts = ['plain', '', 'NULL', null, 'a "quoted" word', 'back\\slash', '{brace}', ' pad '];
    const ids = ['0b4a3c1e-5f6d-4e7a-8b9c-0d1e2f3a4b5c', '7d1c0a2e-0000-4000-8000-000000000001'];
    const docs = [JSON.stringify({ id: 'x', note: 'say "hi" \\ bye' }), null];
    const [row] = await runPrepared<{
      texts: (string | null)[];
      n: number;
      ids: string[];
      ints: number[];
      docs: unknown[];
    }>(db.dataSource, ECHO, [texts, ids, [3, -1, 0], docs]);
    expect(row).toEqual({
      texts,
      n: texts.length,
      ids,
      ints: [3, -1, 0],
      docs: [{ id: 'x', note: 'say "hi" \\ bye' }, null],
    });
  });

  it('reads an aggregated uuid list (as storage reads members) and an empty one', async () => {
    const rows = await db.dataSource.query<{ members: string[]; none: string[] }[]>(
      `SELECT array_agg(u ORDER BY u) AS members, '{}'::uuid[] AS none
         FROM unnest('{7d1c0a2e-0000-4000-8000-000000000002,7d1c0a2e-0000-4000-8000-000000000001}'::uuid[]) u`,
    );
    expect(rows).toEqual([
      {
        members: ['7d1c0a2e-0000-4000-8000-000000000001', '7d1c0a2e-0000-4000-8000-000000000002'],
        none: [],
      },
    ]);
  });
});
