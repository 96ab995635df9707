import { toParam } from '@parley/common';
import { Client } from 'pg';
import { insertConversation, insertUser, unique } from '../../../test/db/factories';
import { REPO_TEST_DATABASE_URL, useRepoTestDb } from '../../../test/db/repo-test-db';
import { type InstructionCase, instructionCases, parameterTypes } from './instruction-cases';
import { type PlanCacheMode, singleUserScripts, STATEMENT_END } from './single-user-script';

/**
 * What pg-instructions counts is what the services run: each case's script, statement by
 * statement on one session, returns what the statement returns when node-postgres prepares it
 * with the same parameters, and its writes land.
 */
describe('pg-instructions cases (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let client: Client;
  let userId: string;
  let direct: string;

  beforeAll(async () => {
    client = new Client({ connectionString: REPO_TEST_DATABASE_URL });
    await client.connect();
    const [me, friend, third] = await Promise.all([1, 2, 3].map(() => insertUser(db.dataSource)));
    userId = me.id;
    direct = await insertConversation(db.dataSource, { members: [me.id, friend.id] });
    // Seven conversations: a round naming them all names them in a session setting.
    for (let i = 0; i < 6; i++) {
      await insertConversation(db.dataSource, { members: [me.id, friend.id, third.id] });
    }
    await insertConversation(db.dataSource, { members: [friend.id, third.id] });
  });

  afterAll(async () => {
    await client.end();
  });

  /**
   * The measured script of `calls` (the first one the warm-up), statement by statement on the
   * session; the EXECUTEs' rows, call by call.
   */
  async function runScript(
    c: InstructionCase,
    calls: readonly (readonly unknown[])[],
    planCacheMode?: PlanCacheMode,
  ): Promise<{ script: string; results: Record<string, unknown>[][] }> {
    const types = await parameterTypes(client, c.statement);
    const { measured } = singleUserScripts(c.statement, calls, 1, {
      parameterTypes: types,
      planCacheMode,
    });
    const results: Record<string, unknown>[][] = [];
    for (const sql of measured.split(STATEMENT_END).filter((s) => s !== '')) {
      const { rows } = await client.query<Record<string, unknown>>(sql);
      if (sql.startsWith('EXECUTE')) results.push(rows);
    }
    await client.query('DEALLOCATE measured');
    return { script: measured, results };
  }

  it.each(['others', 'positions'])(
    '%s: the script reads what the prepared statement reads',
    async (name) => {
      const [c] = instructionCases([name]);
      const paramsOf = await c.plan(client, userId);
      const { rows } = await client.query({
        name: `${c.statement.name}-${unique()}`,
        text: c.statement.text,
        values: paramsOf(0).map(toParam),
      });
      expect(rows).toHaveLength(7);

      const { script, results } = await runScript(c, [paramsOf(0), paramsOf(1)]);

      expect(results).toEqual([rows, rows]);
      // positions names the seven ids in each call: set once, read through current_setting.
      expect(script.includes('current_setting(')).toBe(name === 'positions');
    },
  );

  it('appendAsMembers: each call appends one message as the user, in seq order', async () => {
    const [c] = instructionCases(['appendAsMembers']);
    const paramsOf = await c.plan(client, userId);

    const { results } = await runScript(c, [0, 1, 2].map(paramsOf), 'force_generic_plan');

    expect(results.map((rows) => rows.map((r) => [r.id, r.first_seq, r.inserted]))).toEqual([
      [[direct, '1', '1']],
      [[direct, '2', '1']],
      [[direct, '3', '1']],
    ]);
    const { rows } = await client.query<{ seq: string; sender_id: string; client_msg_id: string }>(
      'SELECT seq, sender_id, client_msg_id FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [direct],
    );
    expect(rows).toEqual(
      [0, 1, 2].map((i) => ({
        seq: String(i + 1),
        sender_id: userId,
        client_msg_id: `pg-instructions-${i}`,
      })),
    );
  });

  it('names the cases it has, and only those', () => {
    expect(instructionCases([]).map((c) => c.name)).toEqual([
      'others',
      'positions',
      'appendAsMembers',
    ]);
    expect(() => instructionCases(['nothing'])).toThrow('no case "nothing"');
  });
});
