import { EMPTY_STATE_DIGEST, stateWindow } from '@parley/protocol';
import { STATE_VECTORS } from '@parley/protocol/sync/state-digest.vectors';
import { insertConversation, insertMessages, insertUser } from '../../../../test/db/factories';
import { planCounts, planReadsOf, useRepoTestDb } from '../../../../test/db/repo-test-db';
import { usePlanTables } from '../../../../test/db/plan-tables';
import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { digestOf, digestOfTail } from '../sync/state-digests';
import { ConversationStatesReadModel } from './conversation-states.read-model';

describe('ConversationStatesReadModel (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let states: ConversationStatesReadModel;

  beforeAll(() => {
    states = new ConversationStatesReadModel(db.dataSource);
  });

  const user = () => insertUser(db.dataSource);

  async function conversationWith(count: number) {
    const [me, other] = [await user(), await user()];
    const id = await insertConversation(db.dataSource, { members: [me.id, other.id] });
    const sent = await insertMessages(
      db.dataSource,
      id,
      Array.from({ length: count }, (_, i) => ({ senderId: i % 2 ? other.id : me.id })),
    );
    return { id, me, other, sent };
  }

  /** One user with `count` conversations, the i-th holding i messages. */
  async function userWithConversations(count: number) {
    const me = await user();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = await insertConversation(db.dataSource, { members: [me.id, (await user()).id] });
      await insertMessages(
        db.dataSource,
        id,
        Array.from({ length: i }, () => ({ senderId: me.id })),
      );
      ids.push(id);
    }
    return { me, ids };
  }

  it('computes the test vectors from rows PostgreSQL hashes (the client library computes the same)', async () => {
    const me = await user();
    for (const vector of STATE_VECTORS) {
      const id = await insertConversation(db.dataSource, { members: [me.id], kind: 'group' });
      await insertMessages(
        db.dataSource,
        id,
        vector.messages.map((m) => ({
          senderId: m.senderId,
          clientMsgId: m.clientMsgId,
          body: m.text,
        })),
      );
      const fromSeq = vector.fromSeq ?? 1;
      const windows = await states.windows([{ conversationId: id, seq: vector.lastSeq, fromSeq }]);
      const window = windows.get(id) ?? [];
      const { from, to } = stateWindow(vector.lastSeq, fromSeq);
      expect(window.map((e) => e.seq)).toEqual(
        Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i),
      );
      expect(digestOf(vector.lastSeq, window, fromSeq)).toBe(vector.digest);
      if (vector.lastSeq === vector.messages.length) {
        const tail =
          (await states.tails([{ conversationId: id, seq: Number.MAX_SAFE_INTEGER, fromSeq }])).get(
            id,
          ) ?? [];
        expect(digestOfTail(vector.lastSeq, tail, fromSeq)).toBe(vector.digest);
      }
      // The vectors share (sender, client message id) pairs: make room for the next one.
      await db.dataSource.query(`DELETE FROM messages WHERE conversation_id = $1`, [id]);
    }
    expect(STATE_VECTORS[0].digest).toBe(EMPTY_STATE_DIGEST);
  });

  it("gives the last seqs of the user's conversations only", async () => {
    const a = await conversationWith(3);
    const b = await conversationWith(0);
    const stranger = await conversationWith(2);
    const found = await states.ranges(a.me.id, [a.id, b.id, stranger.id]);
    expect([...found]).toEqual([[a.id, { fromSeq: 1, lastSeq: 3 }]]);
    expect([...(await states.ranges(b.me.id, [b.id]))]).toEqual([
      [b.id, { fromSeq: 1, lastSeq: 0 }],
    ]);
  });

  it('reads from a member’s first readable seq: positions, windows and tails start there', async () => {
    const { id, other } = await conversationWith(14);
    await db.dataSource.query(
      `UPDATE conversation_members SET visible_from = 8 WHERE conversation_id = $1 AND user_id = $2`,
      [id, other.id],
    );
    expect([...(await states.ranges(other.id, [id]))]).toEqual([[id, { fromSeq: 8, lastSeq: 14 }]]);
    expect(await states.othersOf(other.id, [], 10)).toEqual([
      { conversationId: id, seq: 14, fromSeq: 8 },
    ]);
    const cut = await states.windows([{ conversationId: id, seq: 14, fromSeq: 8 }]);
    expect(cut.get(id)?.map((e) => e.seq)).toEqual([8, 9, 10, 11, 12, 13, 14]);
    const whole = await states.windows([{ conversationId: id, seq: 14, fromSeq: 1 }]);
    expect(whole.get(id)?.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const tail = (await states.tails([{ conversationId: id, seq: 14, fromSeq: 8 }])).get(id) ?? [];
    expect(tail.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12, 13, 14]);
  });

  it('lists the conversations a complete round did not name, in id order', async () => {
    const { me, ids } = await userWithConversations(3);
    const others = await states.othersOf(me.id, [ids[1]], 10);
    expect(others).toEqual(
      [ids[0], ids[2]]
        .sort()
        .map((id) => ({ conversationId: id, seq: id === ids[0] ? 0 : 2, fromSeq: 1 })),
    );
    expect(await states.othersOf(me.id, [], 1)).toHaveLength(1);
  });

  it('reads the asked last seqs and the unnamed conversations in one query, as the two do', async () => {
    const { me, ids } = await userWithConversations(6);
    const stranger = await conversationWith(2);
    // A channel nothing was posted to (only asked ones are listed), one posted to, and a
    // conversation the user left at seq 3 of 5 (it keeps what came before).
    const silent = await insertConversation(db.dataSource, { members: [me.id], kind: 'channel' });
    const posted = await insertConversation(db.dataSource, { members: [me.id], kind: 'channel' });
    await insertMessages(db.dataSource, posted, [{ senderId: me.id }]);
    await db.dataSource.query(
      `UPDATE conversation_members SET left_seq = 3 WHERE conversation_id = $1 AND user_id = $2`,
      [ids[5], me.id],
    );
    const cases = [[ids[1], ids[3], stranger.id], [ids[1], silent], [], [...ids, silent, posted]];
    for (const asked of cases) {
      for (const limit of [10, 3, 1, 0]) {
        const both = await states.positions(me.id, asked, limit);
        expect([...both.ranges].sort()).toEqual([...(await states.ranges(me.id, asked))].sort());
        expect(both.others).toEqual(await states.othersOf(me.id, asked, limit));
      }
    }
    expect(
      (await states.positions(me.id, cases[0], 10)).others.map((o) => o.conversationId),
    ).toEqual([ids[0], ids[2], ids[4], ids[5], posted].sort());
    const left = (await states.positions(me.id, [ids[5]], 0)).ranges.get(ids[5]);
    expect(left).toEqual({ fromSeq: 1, lastSeq: 3 });
    expect((await states.positions(me.id, [silent], 10)).ranges.get(silent)).toEqual({
      fromSeq: 1,
      lastSeq: 0,
    });
  });

  it('reads windows of up to ten messages ending at the asked seq, and tails of the last ten', async () => {
    const { id, sent } = await conversationWith(25);
    const windows = await states.windows([{ conversationId: id, seq: 25, fromSeq: 1 }]);
    expect(windows.get(id)?.map((e) => e.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    const early = await states.windows([{ conversationId: id, seq: 4, fromSeq: 1 }]);
    expect(early.get(id)?.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    // A seq past the last: only the rows that exist (the caller sees an incomplete window).
    const beyond = await states.windows([{ conversationId: id, seq: 27, fromSeq: 1 }]);
    expect(beyond.get(id)?.map((e) => e.seq)).toEqual([18, 19, 20, 21, 22, 23, 24, 25]);
    const tail =
      (await states.tails([{ conversationId: id, seq: Number.MAX_SAFE_INTEGER, fromSeq: 1 }])).get(
        id,
      ) ?? [];
    expect(tail.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(tail[9]).toMatchObject({ clientMsgId: sent[24].clientMsgId, text: sent[24].body });
  });

  it('gives the messages after each position, conversation by conversation, within one limit', async () => {
    const a = await conversationWith(5);
    const b = await conversationWith(5);
    const [first, second] = [a.id, b.id].sort();
    const missing = await states.after(
      [
        { conversationId: second, seq: 3, serverLast: 5 },
        { conversationId: first, seq: 1, serverLast: 5 },
      ],
      100,
    );
    expect(missing.map((m) => `${m.conversationId === first ? 'f' : 's'}${m.seq}`)).toEqual([
      'f2',
      'f3',
      'f4',
      'f5',
      's4',
      's5',
    ]);
    const capped = await states.after(
      [
        { conversationId: first, seq: 0, serverLast: 5 },
        { conversationId: second, seq: 0, serverLast: 5 },
      ],
      7,
    );
    expect(capped).toHaveLength(7);
    expect(capped.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 1, 2]);
  });

  it('answers concurrent window reads (one conversation at two seqs too) with fewer queries, each its own window', async () => {
    const a = await conversationWith(25);
    const b = await conversationWith(4);
    const asks = [
      [{ conversationId: a.id, seq: 25, fromSeq: 1 }],
      [{ conversationId: b.id, seq: 4, fromSeq: 1 }],
      [{ conversationId: a.id, seq: 12, fromSeq: 1 }],
      [
        { conversationId: a.id, seq: 3, fromSeq: 1 },
        { conversationId: b.id, seq: 2, fromSeq: 1 },
      ],
      [{ conversationId: a.id, seq: 25, fromSeq: 1 }],
    ];
    // One at a time: the expected windows.
    const expected = [];
    for (const ask of asks) expected.push(await states.windows(ask));

    // The windows statement runs on the pool behind the data source (runPrepared).
    const query = jest.spyOn((db.dataSource.driver as PostgresDriver).master as Pool, 'query');
    try {
      const together = await Promise.all(asks.map((ask) => states.windows(ask)));
      expect(together).toEqual(expected);
      // Two ran at once; the other three went as one.
      expect(query).toHaveBeenCalledTimes(3);
    } finally {
      query.mockRestore();
    }
    expect(expected[2].get(a.id)?.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(expected[3].get(a.id)?.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  describe('plan cache', () => {
    // one pooled connection, so every call runs on the connection whose plan cache is read
    const single = useRepoTestDb([], { max: 1 });

    it('keeps one generic plan for the tails of new devices instead of planning each again', async () => {
      const { id, sent } = await conversationWith(12);
      const one = new ConversationStatesReadModel(single.dataSource);
      const position = { conversationId: id, seq: Number.MAX_SAFE_INTEGER, fromSeq: 1 };
      for (let call = 0; call < 8; call++) {
        const tail = (await one.tails([position])).get(id) ?? [];
        expect(tail.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(tail[9]?.clientMsgId).toBe(sent[11].clientMsgId);
      }
      // five plans for the values, then the kept generic plan (the arrays' length unseen)
      const tails = 'gateway.syncStates.tails';
      expect(await planCounts(single.dataSource, [tails])).toEqual({
        [tails]: { custom: 5, generic: 3 },
      });
    });

    it('keeps one generic plan for the digest windows and the messages after, a batch of any size', async () => {
      const conversations = [await conversationWith(12), await conversationWith(3)];
      const one = new ConversationStatesReadModel(single.dataSource);
      for (let call = 0; call < 8; call++) {
        // one position, then two: a custom plan would see the arrays' length
        const asked = conversations.slice(0, 1 + (call % 2));
        const windows = await one.windows(
          asked.map(({ id }) => ({ conversationId: id, seq: 3, fromSeq: 1 })),
        );
        expect(asked.map(({ id }) => windows.get(id)?.map((e) => e.seq))).toEqual(
          asked.map(() => [1, 2, 3]),
        );
        const after = await one.after(
          asked.map(({ id }) => ({ conversationId: id, seq: 1, serverLast: 3 })),
          100,
        );
        expect(after.map((m) => m.seq)).toEqual(asked.flatMap(() => [2, 3]));
      }
      const [windows, after] = ['gateway.syncStates.windows', 'gateway.syncStates.after'];
      expect(await planCounts(single.dataSource, [windows, after])).toEqual({
        [windows]: { custom: 5, generic: 3 },
        [after]: { custom: 5, generic: 3 },
      });
    });
  });

  describe('plan cache, on copies of the tables holding what the spec writes', () => {
    // the planner's choices (the hash index or the primary key; a generic plan or one per call)
    // turn on the tables' statistics (and the services' random_page_cost): the same on every run
    const services = usePlanTables(['conversations', 'conversation_members']);
    let me: string;
    /** `me`'s hundred conversations, in id order. */
    let mine: string[];

    beforeAll(async () => {
      // the load tool's connect workload: 1,000 users with 100 direct conversations each
      // (50,000, conversation `c-g` at last seq g), analysed
      await services.dataSource.query(
        `INSERT INTO conversations (id, kind, pair_key, last_seq)
         SELECT 'c-' || g, 'direct', 'c-' || g, g FROM generate_series(1, 50000) AS g`,
      );
      await services.dataSource.query(
        `INSERT INTO conversation_members (conversation_id, user_id)
         SELECT 'c-' || g, md5('u' || g % 1000)::uuid FROM generate_series(1, 50000) AS g
         UNION ALL
         SELECT 'c-' || g, md5('u' || (g % 1000 + 1 + g / 1000 % 999) % 1000)::uuid
           FROM generate_series(1, 50000) AS g`,
      );
      await services.dataSource.query('ANALYZE conversations, conversation_members');
      me = (await services.dataSource.query<{ me: string }[]>(`SELECT md5('u0')::uuid AS me`))[0]
        .me;
      const rows = await services.dataSource.query<{ id: string }[]>(
        'SELECT conversation_id AS id FROM conversation_members WHERE user_id = $1 ORDER BY 1',
        [me],
      );
      mine = rows.map((r) => r.id);
    });

    it('finds a new device’s conversations by the hash of their ids (AddConversationsIdHash)', async () => {
      expect(mine).toHaveLength(100);
      const one = new ConversationStatesReadModel(services.dataSource);
      for (let call = 0; call < 6; call++) {
        const { ranges, others } = await one.positions(me, mine.slice(0, 1), 100);
        expect([...ranges.keys(), ...others.map((o) => o.conversationId)].sort()).toEqual(
          [...mine].sort(),
        );
        expect((await one.othersOf(me, [], 100)).length).toBe(100);
      }
      const hash = await services.indexOf('conversations', ' USING hash ');
      // the plans the seventh calls run (EXPLAIN EXECUTE takes them from the same plan cache)
      for (const name of ['gateway.syncStates.positions', 'gateway.syncStates.others']) {
        const [{ 'QUERY PLAN': plan }] = await services.dataSource.query<
          { 'QUERY PLAN': unknown }[]
        >(`EXPLAIN (FORMAT JSON) EXECUTE "${name}"('${me}', '{${mine[0]}}', 100)`);
        expect({ name, probes: planReadsOf(plan, 'conversations', 'Index Name') }).toEqual({
          name,
          probes: [hash],
        });
      }
    });

    it('keeps one generic plan for the asked conversations, a frame naming a few', async () => {
      // with `= ANY($2)`, a custom plan (which counts the ids) looked cheaper on every call
      const one = new ConversationStatesReadModel(services.dataSource);
      const notMine = 'c-1500';
      expect(mine).not.toContain(notMine);
      for (let call = 0; call < 8; call++) {
        // one or two of the user's, and one of someone else's (absent)
        const asked = [mine[call], mine[call + 50]].slice(0, 1 + (call % 2));
        const ranges = await one.ranges(me, [...asked, notMine]);
        expect(ranges).toEqual(
          new Map(asked.map((id) => [id, { fromSeq: 1, lastSeq: Number(id.slice(2)) }])),
        );
      }
      // five plans for the values, then the kept generic plan (the array's length unseen)
      const name = 'gateway.syncStates.asked';
      expect(await planCounts(services.dataSource, [name])).toEqual({
        [name]: { custom: 5, generic: 3 },
      });
    });
  });
});
