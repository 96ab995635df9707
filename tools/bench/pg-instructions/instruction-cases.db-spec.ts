import { toParam } from '@parley/common';
import { Client } from 'pg';
import { insertConversation, insertMessages, insertUser, unique } from '../../../test/db/factories';
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

  it.each(['others', 'positions', 'asked'])(
    '%s: the script reads what the prepared statement reads',
    async (name) => {
      const [c] = instructionCases([name]);
      const paramsOf = await c.plan(client, userId);
      const { rows } = await client.query({
        name: `${c.statement.name}-${unique()}`,
        text: c.statement.text,
        values: paramsOf(0).map(toParam),
      });
      // asked names three of the seven
      expect(rows).toHaveLength(name === 'asked' ? 3 : 7);

      const { script, results } = await runScript(c, [paramsOf(0), paramsOf(1)]);

      expect(results).toEqual([rows, rows]);
      // positions names the seven ids in each call: set once, read through current_setting.
      expect(script.includes('current_setting(')).toBe(name === 'positions');
    },
  );

  it.each(['windows', 'tails'])(
    '%s: the script reads what the prepared statement reads, ten messages of a conversation at most',
    async (name) => {
      const [reader, writer, third] = await Promise.all(
        [1, 2, 3].map(() => insertUser(db.dataSource)),
      );
      const long = await insertConversation(db.dataSource, { members: [reader.id, writer.id] });
      const short = await insertConversation(db.dataSource, {
        members: [reader.id, writer.id, third.id],
      });
      await insertConversation(db.dataSource, { members: [reader.id, third.id] }); // empty
      for (const [id, count] of [
        [long, 12],
        [short, 3],
      ] as const) {
        await insertMessages(
          db.dataSource,
          id,
          Array.from({ length: count }, () => ({ senderId: writer.id })),
        );
      }
      const [c] = instructionCases([name]);
      const paramsOf = await c.plan(client, reader.id);
      const { rows } = await client.query<Record<string, unknown>>({
        name: `${c.statement.name}-${unique()}`,
        text: c.statement.text,
        values: paramsOf(0).map(toParam),
      });
      expect(rows.map((r) => `${String(r.conversation_id)} ${String(r.seq)}`).sort()).toEqual(
        [
          ...[3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((seq) => `${long} ${seq}`),
          ...[1, 2, 3].map((seq) => `${short} ${seq}`),
        ].sort(),
      );

      const { results } = await runScript(c, [paramsOf(0), paramsOf(1)]);

      expect(results).toEqual([rows, rows]);
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

  it('advance: each call reads one more message, told to its sender, and moves the device', async () => {
    const [reader, writer] = [await insertUser(db.dataSource), await insertUser(db.dataSource)];
    const id = await insertConversation(db.dataSource, { members: [reader.id, writer.id] });
    await insertMessages(
      db.dataSource,
      id,
      [1, 2, 3].map(() => ({ senderId: writer.id })),
    );
    const [c] = instructionCases(['advance']);
    const paramsOf = await c.plan(client, reader.id);

    const { results } = await runScript(c, [0, 1, 2].map(paramsOf));

    expect(results).toEqual(
      ['1', '2', '3'].map((seq) => [
        {
          conversation_id: id,
          user_id: reader.id,
          delivered_seq: seq,
          read_seq: seq,
          read_hidden: false,
          member_ids: [writer.id],
          blind_ids: [],
        },
      ]),
    );
    const { rows } = await client.query<{ device_id: string; delivered_seq: string }>(
      'SELECT device_id, delivered_seq FROM device_cursors WHERE user_id = $1',
      [reader.id],
    );
    expect(rows).toEqual([{ device_id: 'pg-instructions', delivered_seq: '3' }]);
    expect(() => paramsOf(3)).toThrow('has 3 unread messages: too few for 4 reads');
  });

  it('lookUp: each call finds one of the user’s stored messages and its conversation’s members', async () => {
    const [writer, friend] = [await insertUser(db.dataSource), await insertUser(db.dataSource)];
    const id = await insertConversation(db.dataSource, { members: [writer.id, friend.id] });
    const sent = await insertMessages(
      db.dataSource,
      id,
      [1, 2].map(() => ({ senderId: writer.id })),
    );
    const [c] = instructionCases(['lookUp']);
    const paramsOf = await c.plan(client, writer.id);
    const prepared = async (i: number) =>
      (
        await client.query<Record<string, unknown>>({
          name: `${c.statement.name}-${unique()}`,
          text: c.statement.text,
          values: paramsOf(i).map(toParam),
        })
      ).rows;
    const expected = [await prepared(0), await prepared(1), await prepared(2)];

    const { results } = await runScript(c, [0, 1, 2].map(paramsOf));

    expect(results).toEqual(expected);
    // round robin over the two messages, each with the conversation's members
    expect(results.map((rows) => rows.map((r) => [r.kind, r.seq]))).toEqual(
      [1, 2, 1].map((seq) => [
        ['s', String(seq)],
        ['m', null],
      ]),
    );
    expect(results[0][0].client_msg_id).toBe(sent[0].clientMsgId);
    expect(results[0][1].member_ids).toEqual([writer.id, friend.id]);
  });

  it('names the cases it has, and only those', () => {
    expect(instructionCases([]).map((c) => c.name)).toEqual([
      'others',
      'positions',
      'asked',
      'windows',
      'tails',
      'appendAsMembers',
      'advance',
      'lookUp',
    ]);
    expect(() => instructionCases(['nothing'])).toThrow('no case "nothing"');
  });
});
