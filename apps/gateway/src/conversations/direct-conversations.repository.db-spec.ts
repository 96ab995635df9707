import { randomUUID } from 'node:crypto';
import { runPrepared } from '@parley/common';
import { conversationId } from '../../../../test/db/factories';
import {
  fulfilledValues,
  LockHolder,
  planCounts,
  useRepoTestDb,
} from '../../../../test/db/repo-test-db';
import { usePlanTables } from '../../../../test/db/plan-tables';
import { directPairKey } from './conversation-id';
import { DirectConversationsRepository, FIND_DIRECT } from './direct-conversations.repository';

describe('DirectConversationsRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let directs: DirectConversationsRepository;

  beforeAll(() => {
    directs = new DirectConversationsRepository(db.dataSource);
  });

  /** Two people who have never written to each other. */
  function pair(): { members: string[]; pairKey: string } {
    const members = [randomUUID(), randomUUID()];
    return { members, pairKey: directPairKey(members[0], members[1]) };
  }

  async function conversationsOf(pairKey: string) {
    return db.dataSource.query<{ id: string; kind: string; last_seq: string }[]>(
      `SELECT id, kind, last_seq FROM conversations WHERE pair_key = $1`,
      [pairKey],
    );
  }

  async function membersOf(id: string): Promise<string[]> {
    const rows = await db.dataSource.query<{ user_id: string }[]>(
      `SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY user_id`,
      [id],
    );
    return rows.map((r) => r.user_id);
  }

  it('creates the conversation with both members, found by its pair key after', async () => {
    const { members, pairKey } = pair();
    const id = conversationId();
    expect(await directs.findOrCreate(id, pairKey, members)).toBe(id);

    expect(await conversationsOf(pairKey)).toEqual([{ id, kind: 'direct', last_seq: '0' }]);
    expect(await membersOf(id)).toEqual([...members].sort());
  });

  it('returns the existing conversation when the pair already has one (nothing else written)', async () => {
    const { members, pairKey } = pair();
    const first = conversationId();
    await directs.findOrCreate(first, pairKey, members);
    const second = conversationId();
    expect(await directs.findOrCreate(second, pairKey, [...members].reverse())).toBe(first);

    expect((await conversationsOf(pairKey)).map((c) => c.id)).toEqual([first]);
    expect(await membersOf(first)).toHaveLength(2);
    expect(await membersOf(second)).toEqual([]);
  });

  it('gathers first contacts made at once: each pair one conversation with its members, asked twice or not', async () => {
    const known = pair();
    const knownId = conversationId();
    await directs.findOrCreate(knownId, known.pairKey, known.members);
    const fresh = Array.from({ length: 20 }, () => pair());
    const asked = [...fresh, known, fresh[0]].map((p) => ({ ...p, id: conversationId() }));

    const got = await Promise.all(
      asked.map((a) => directs.findOrCreate(a.id, a.pairKey, a.members)),
    );

    expect(got[20]).toBe(knownId);
    expect(got[21]).toBe(got[0]);
    for (const [i, p] of fresh.entries()) {
      expect((await conversationsOf(p.pairKey)).map((c) => c.id)).toEqual([got[i]]);
      expect(await membersOf(got[i])).toEqual([...p.members].sort());
    }
    expect(new Set(got).size).toBe(21);
  });

  it('finds or creates many pairs in one statement, keyed by pair key', async () => {
    const known = pair();
    const knownId = conversationId();
    await directs.findOrCreate(knownId, known.pairKey, known.members);
    const fresh = pair();
    const freshId = conversationId();

    const found = await directs.findOrCreateAll([
      { id: freshId, pairKey: fresh.pairKey, memberIds: fresh.members },
      { id: conversationId(), pairKey: known.pairKey, memberIds: known.members },
    ]);

    expect(found).toEqual(
      new Map([
        [fresh.pairKey, freshId],
        [known.pairKey, knownId],
      ]),
    );
    expect(await membersOf(freshId)).toEqual([...fresh.members].sort());
    expect(await membersOf(knownId)).toEqual([...known.members].sort());
  });

  it('ends two first contacts at the same moment in one conversation (ON CONFLICT waits)', async () => {
    const { members, pairKey } = pair();
    // An uncommitted row for the pair holds both creates on the unique index; rolling it back
    // releases them together, so they really race each other.
    const holder = await LockHolder.begin(db.dataSource);
    await holder.query(`INSERT INTO conversations (id, kind, pair_key) VALUES ($1, 'direct', $2)`, [
      conversationId(),
      pairKey,
    ]);
    const [a, b] = [conversationId(), conversationId()];
    const racing = Promise.allSettled([
      directs.findOrCreate(a, pairKey, members),
      directs.findOrCreate(b, pairKey, [...members].reverse()),
    ]);
    await holder.waitForWaiters(2, racing);
    await holder.rollback();

    const [gotA, gotB] = fulfilledValues(await racing);
    expect(gotA).toBe(gotB);
    expect([a, b]).toContain(gotA);
    expect((await conversationsOf(pairKey)).map((c) => c.id)).toEqual([gotA]);
    expect(await membersOf(gotA)).toEqual([...members].sort());
  });

  it('returns a concurrent creator’s conversation once it commits', async () => {
    const { members, pairKey } = pair();
    const theirs = conversationId();
    const holder = await LockHolder.begin(db.dataSource);
    await holder.query(`INSERT INTO conversations (id, kind, pair_key) VALUES ($1, 'direct', $2)`, [
      theirs,
      pairKey,
    ]);
    const mine = conversationId();
    const racing = Promise.allSettled([directs.findOrCreate(mine, pairKey, members)]);
    await holder.waitForWaiters(1, racing);
    await holder.commit();

    expect(fulfilledValues(await racing)).toEqual([theirs]);
    expect((await conversationsOf(pairKey)).map((c) => c.id)).toEqual([theirs]);
    expect(await membersOf(mine)).toEqual([]);
  });

  it('creates other first contacts beside a statement that waits (the spare slot)', async () => {
    const held = pair();
    const holder = await LockHolder.begin(db.dataSource);
    await holder.query(`INSERT INTO conversations (id, kind, pair_key) VALUES ($1, 'direct', $2)`, [
      conversationId(),
      held.pairKey,
    ]);
    const mine = conversationId();
    const waiting = Promise.allSettled([directs.findOrCreate(mine, held.pairKey, held.members)]);
    await holder.waitForWaiters(1, waiting);

    // The held statement cannot end until the holder does: this one goes beside it.
    const other = pair();
    const otherId = conversationId();
    await expect(directs.findOrCreate(otherId, other.pairKey, other.members)).resolves.toBe(
      otherId,
    );
    expect(await membersOf(otherId)).toEqual([...other.members].sort());

    await holder.rollback();
    expect(fulfilledValues(await waiting)).toEqual([mine]);
  });

  describe('plan cache, on copies of the tables holding what the spec writes', () => {
    const copies = usePlanTables(['conversations', 'conversation_members']);

    it('keeps one generic plan for the find-or-create and the find of one pair', async () => {
      // 1,000 direct conversations, analysed: with `pair_key = ANY($1)`, a custom plan (which
      // counts the keys) looked cheaper on every call
      await copies.dataSource.query(
        `INSERT INTO conversations (id, kind, pair_key)
         SELECT 'c-' || g, 'direct', 'p-' || g FROM generate_series(1, 1000) AS g`,
      );
      await copies.dataSource.query('ANALYZE conversations');
      const one = new DirectConversationsRepository(copies.dataSource);
      for (let call = 0; call < 8; call++) {
        const { members, pairKey } = pair();
        const id = conversationId();
        expect(await one.findOrCreateAll([{ id, pairKey, memberIds: members }])).toEqual(
          new Map([[pairKey, id]]),
        );
        expect(await runPrepared(copies.dataSource, FIND_DIRECT, [[pairKey]])).toEqual([
          { pair_key: pairKey, id },
        ]);
      }
      // PostgreSQL plans the first five calls for their values, then keeps the generic plan
      // when it costs no more than they did: the keys' count no longer makes it look dearer
      const [create, find] = ['gateway_find_or_create_directs', 'gateway_find_directs'];
      expect(await planCounts(copies.dataSource, [create, find])).toEqual({
        [create]: { custom: 5, generic: 3 },
        [find]: { custom: 5, generic: 3 },
      });
    });
  });
});
