import { randomUUID } from 'node:crypto';
import { insertConversation, unique } from '../../../../test/db/factories';
import {
  fulfilledValues,
  LockHolder,
  planCounts,
  planReadsOf,
  useRepoTestDb,
} from '../../../../test/db/repo-test-db';
import { usePlanTables } from '../../../../test/db/plan-tables';
import {
  isUniqueViolation,
  MessageRow,
  MessagesRepository,
  NewMessage,
} from './messages.repository';

describe('MessagesRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let repo: MessagesRepository;

  beforeAll(() => {
    repo = new MessagesRepository(db.dataSource);
  });

  const conversation = (members: readonly string[] = [randomUUID(), randomUUID()]) =>
    insertConversation(db.dataSource, { members });

  async function stored(conversationId: string, dataSource = db.dataSource): Promise<MessageRow[]> {
    const rows = await dataSource.query<
      {
        conversation_id: string;
        seq: string;
        sender_id: string;
        client_msg_id: string;
        server_time: Date;
        body: string;
      }[]
    >(
      `SELECT conversation_id, seq, sender_id, client_msg_id, server_time, body
         FROM messages WHERE conversation_id = $1 ORDER BY seq`,
      [conversationId],
    );
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      seq: Number(r.seq),
      senderId: r.sender_id,
      clientMsgId: r.client_msg_id,
      serverTime: r.server_time,
      body: r.body,
    }));
  }

  async function lastSeq(conversationId: string): Promise<number> {
    const rows = await db.dataSource.query<{ last_seq: string }[]>(
      `SELECT last_seq FROM conversations WHERE id = $1`,
      [conversationId],
    );
    return Number(rows[0].last_seq);
  }

  /** New messages for `append`: `count` of them in `conversationId`, offsets 0..count-1. */
  function fresh(
    conversationId: string,
    count: number,
    overrides: Partial<NewMessage> = {},
  ): NewMessage[] {
    return Array.from({ length: count }, (_, offset) => ({
      conversationId,
      offset,
      senderId: randomUUID(),
      clientMsgId: `m_${unique()}`,
      body: `body ${offset} ✓ ünïcode`,
      ...overrides,
    }));
  }

  describe('lookUp', () => {
    it('finds nothing for no keys and no conversations', async () => {
      expect(await repo.lookUp([], [])).toEqual({
        stored: [],
        members: new Map(),
        channels: new Set(),
      });
    });

    it('finds stored messages by exact (sender, clientMsgId) pairs, not by either alone', async () => {
      const id = await conversation();
      const [alice, bob] = [randomUUID(), randomUUID()];
      await repo.append(
        [{ conversationId: id, count: 3 }],
        [
          { conversationId: id, offset: 0, senderId: alice, clientMsgId: 'one', body: 'a' },
          { conversationId: id, offset: 1, senderId: alice, clientMsgId: 'two', body: 'b' },
          { conversationId: id, offset: 2, senderId: bob, clientMsgId: 'one', body: 'c' },
        ],
      );
      const rows = await stored(id);

      const { stored: found } = await repo.lookUp(
        [
          { senderId: alice, clientMsgId: 'one' },
          { senderId: bob, clientMsgId: 'two' },
          { senderId: randomUUID(), clientMsgId: 'one' },
        ],
        [],
      );
      expect(found).toEqual([rows[0]]);
    });

    it('maps each existing conversation to its members in joining order; missing ones are absent', async () => {
      const members = [randomUUID(), randomUUID(), randomUUID()];
      const group = await insertConversation(db.dataSource, { members, kind: 'group' });
      const empty = await insertConversation(db.dataSource, { members: [], kind: 'group' });
      const missing = `missing-${unique()}`;

      const { members: found } = await repo.lookUp([], [group, empty, missing]);
      expect(found).toEqual(
        new Map([
          [group, members],
          [empty, []],
        ]),
      );
    });

    it("also names the members of a stored message's own conversation (an id reused elsewhere)", async () => {
      const sender = randomUUID();
      const other = randomUUID();
      const elsewhere = await conversation([sender, other]);
      const asked = await conversation([sender, randomUUID()]);
      await repo.append(
        [{ conversationId: elsewhere, count: 1 }],
        fresh(elsewhere, 1, { senderId: sender, clientMsgId: 'reused' }),
      );

      const lookup = await repo.lookUp([{ senderId: sender, clientMsgId: 'reused' }], [asked]);
      expect(lookup.stored.map((m) => m.conversationId)).toEqual([elsewhere]);
      expect(lookup.members.get(elsewhere)).toEqual([sender, other]);
      expect(lookup.members.has(asked)).toBe(true);
    });
  });

  describe('append', () => {
    it('allocates nothing and writes nothing for no requests', async () => {
      expect(await repo.append([], [])).toEqual(new Map());
    });

    it('stores every field as given, with consecutive seqs from where the conversation ended', async () => {
      const id = await conversation();
      const first = fresh(id, 2, { body: '' });
      await repo.append([{ conversationId: id, count: 2 }], first);
      const second = [
        ...fresh(id, 1, { body: 'line one\nline "two" \\ \'three\'' }),
        { ...fresh(id, 1)[0], offset: 1 },
      ];
      const allocations = await repo.append([{ conversationId: id, count: 2 }], second);
      const serverTime = allocations.get(id)?.serverTime as Date;

      const rows = await stored(id);
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(rows.slice(2)).toEqual(
        second.map((m, i) => ({
          conversationId: id,
          seq: 3 + i,
          senderId: m.senderId,
          clientMsgId: m.clientMsgId,
          serverTime,
          body: m.body,
        })),
      );
      expect(allocations.get(id)?.firstSeq).toBe(3);
      expect(await lastSeq(id)).toBe(4);
    });

    it('reserves one range per conversation in one call', async () => {
      const [x, y] = [await conversation(), await conversation()];
      await repo.append([{ conversationId: y, count: 1 }], fresh(y, 1));
      const allocations = await repo.append(
        [
          { conversationId: x, count: 3 },
          { conversationId: y, count: 2 },
        ],
        [...fresh(x, 3), ...fresh(y, 2)],
      );
      expect(allocations.get(x)?.firstSeq).toBe(1);
      expect(allocations.get(y)?.firstSeq).toBe(2);
      expect([await lastSeq(x), await lastSeq(y)]).toEqual([3, 3]);
      expect((await stored(y)).map((r) => r.seq)).toEqual([1, 2, 3]);
    });

    it("stamps one server time per call: the statement's now(), to the millisecond, also last_message_at", async () => {
      const [x, y] = [await conversation(), await conversation()];
      const allocations = await repo.append(
        [
          { conversationId: x, count: 1 },
          { conversationId: y, count: 1 },
        ],
        [...fresh(x, 1), ...fresh(y, 1)],
      );
      const times = await db.dataSource.query<{ id: string; truncated: Date; exact: string }[]>(
        `SELECT id, date_trunc('milliseconds', last_message_at) AS truncated,
                last_message_at::text AS exact
           FROM conversations WHERE id = ANY($1::text[])`,
        [[x, y]],
      );
      expect(times).toHaveLength(2);
      for (const t of times) {
        expect(allocations.get(t.id)?.serverTime).toEqual(t.truncated);
        expect(allocations.get(t.id)?.conversationId).toBe(t.id);
      }
      expect(times[0].exact).toBe(times[1].exact);
      expect((await stored(x))[0].serverTime).toEqual(allocations.get(x)?.serverTime);
    });

    it('fails whole for a missing conversation: the others keep their seqs and rows', async () => {
      const x = await conversation();
      const missing = `missing-${unique()}`;
      const error: unknown = await repo
        .append(
          [
            { conversationId: x, count: 2 },
            { conversationId: missing, count: 1 },
          ],
          [...fresh(x, 2), ...fresh(missing, 1)],
        )
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      expect(isUniqueViolation(error)).toBe(false);
      // A division by zero, not a NULL seq: PostgreSQL reports (and logs) no failing row, whose
      // text would otherwise reach its log.
      expect(error).toMatchObject({ code: '22012', detail: undefined });
      expect(await lastSeq(x)).toBe(0);
      expect(await stored(x)).toEqual([]);
    });

    it('refuses a conversation named twice in one call (its ranges would overlap), writing nothing', async () => {
      const x = await conversation();
      await expect(
        repo.append(
          [
            { conversationId: x, count: 2 },
            { conversationId: x, count: 1 },
          ],
          fresh(x, 3),
        ),
      ).rejects.toThrow('appears twice');
      expect(await lastSeq(x)).toBe(0);
    });

    it('refuses a resent (sender, clientMsgId) as a unique violation, and takes back its seqs and rows', async () => {
      const id = await conversation();
      const [original] = fresh(id, 1);
      await repo.append([{ conversationId: id, count: 1 }], [original]);

      const error: unknown = await repo
        .append([{ conversationId: id, count: 2 }], [...fresh(id, 1), { ...original, offset: 1 }])
        .catch((err: unknown) => err);
      expect(isUniqueViolation(error)).toBe(true);
      expect(error).toMatchObject({ constraint: 'messages_sender_client_msg_id_uq' });
      expect((await stored(id)).map((r) => r.clientMsgId)).toEqual([original.clientMsgId]);
      expect(await lastSeq(id)).toBe(1);
    });

    it('keeps seqs gap-free and unique when many calls append to one conversation at once', async () => {
      const id = await conversation();
      const writers = 5;
      // Hold the conversation row so every writer queues on it, then release them together.
      const holder = await LockHolder.begin(db.dataSource);
      await holder.query(`SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, [id]);
      const racing = Promise.allSettled(
        Array.from({ length: writers }, async () => {
          const allocation = (
            await repo.append([{ conversationId: id, count: 2 }], fresh(id, 2))
          ).get(id);
          if (!allocation) throw new Error('no allocation');
          return allocation.firstSeq;
        }),
      );
      await holder.waitForWaiters(writers, racing);
      await holder.commit();

      const firstSeqs = fulfilledValues(await racing).sort((a, b) => a - b);
      expect(firstSeqs).toEqual([1, 3, 5, 7, 9]);
      expect((await stored(id)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await lastSeq(id)).toBe(10);
    });
  });

  describe('appendAsMembers', () => {
    /** `count` new sends by `senderId` in `conversationId`, offsets from `from`. */
    const sends = (conversationId: string, senderId: string, count: number, from = 0) =>
      fresh(conversationId, count, { senderId }).map((m, i) => ({ ...m, offset: from + i }));

    it("writes new sends from members like append, and returns each conversation's members", async () => {
      const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
      const direct = await conversation([alice, bob]);
      const group = await conversation([carol, alice, bob]);
      await repo.append([{ conversationId: group, count: 1 }], sends(group, carol, 1));
      const messages = [
        ...sends(direct, alice, 1),
        ...sends(direct, bob, 1, 1),
        ...sends(group, alice, 2),
      ];
      const written = await repo.appendAsMembers(
        [
          { conversationId: direct, count: 2 },
          { conversationId: group, count: 2 },
        ],
        messages,
      );
      expect(written?.allocations.get(direct)?.firstSeq).toBe(1);
      expect(written?.allocations.get(group)?.firstSeq).toBe(2);
      expect(written?.members).toEqual(
        new Map([
          [direct, [alice, bob]],
          [group, [carol, alice, bob]],
        ]),
      );
      expect(written?.channels).toEqual(new Set());
      expect((await stored(direct)).map((r) => [r.seq, r.senderId, r.clientMsgId])).toEqual([
        [1, alice, messages[0].clientMsgId],
        [2, bob, messages[1].clientMsgId],
      ]);
      expect((await stored(group)).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect([await lastSeq(direct), await lastSeq(group)]).toEqual([2, 3]);
    });

    it('declines, writing nothing, when one sender is not a member', async () => {
      const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
      const [x, y] = [await conversation([alice, bob]), await conversation([alice, carol])];
      const written = await repo.appendAsMembers(
        [
          { conversationId: x, count: 1 },
          { conversationId: y, count: 2 },
        ],
        [...sends(x, alice, 1), ...sends(y, carol, 1), ...sends(y, bob, 1, 1)],
      );
      expect(written).toBeNull();
      expect([await lastSeq(x), await lastSeq(y)]).toEqual([0, 0]);
      expect([...(await stored(x)), ...(await stored(y))]).toEqual([]);
    });

    it('declines for a member who has left, and leaves them out of the members', async () => {
      const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
      const group = await conversation([alice, bob, carol]);
      await db.dataSource.query(
        `UPDATE conversation_members SET left_seq = 0 WHERE conversation_id = $1 AND user_id = $2`,
        [group, carol],
      );
      const request = [{ conversationId: group, count: 1 }];
      expect(await repo.appendAsMembers(request, sends(group, carol, 1))).toBeNull();
      expect(await lastSeq(group)).toBe(0);
      const written = await repo.appendAsMembers(request, sends(group, bob, 1));
      expect(written?.members.get(group)).toEqual([alice, bob]);
    });

    it('declines a stored (sender, clientMsgId), a retry, taking back the seqs of the others', async () => {
      const [alice, bob] = [randomUUID(), randomUUID()];
      const id = await conversation([alice, bob]);
      const [original] = sends(id, alice, 1);
      await repo.append([{ conversationId: id, count: 1 }], [original]);
      const written = await repo.appendAsMembers(
        [{ conversationId: id, count: 2 }],
        [...sends(id, bob, 1), { ...original, offset: 1 }],
      );
      expect(written).toBeNull();
      expect((await stored(id)).map((r) => r.clientMsgId)).toEqual([original.clientMsgId]);
      expect(await lastSeq(id)).toBe(1);
    });

    it('declines for a missing conversation, writing nothing for the others', async () => {
      const [alice, bob] = [randomUUID(), randomUUID()];
      const x = await conversation([alice, bob]);
      const missing = `missing-${unique()}`;
      const written = await repo.appendAsMembers(
        [
          { conversationId: x, count: 1 },
          { conversationId: missing, count: 1 },
        ],
        [...sends(x, alice, 1), ...sends(missing, alice, 1)],
      );
      expect(written).toBeNull();
      expect(await lastSeq(x)).toBe(0);
    });

    it("writes a channel admin's post and names the channel with its admins; declines a member's", async () => {
      const [admin, reader] = [randomUUID(), randomUUID()];
      const channel = await insertConversation(db.dataSource, {
        members: [admin, reader],
        kind: 'channel',
      });
      await db.dataSource.query(
        `UPDATE conversation_members SET role = 'admin' WHERE conversation_id = $1 AND user_id = $2`,
        [channel, admin],
      );
      const request = [{ conversationId: channel, count: 1 }];
      expect(await repo.appendAsMembers(request, sends(channel, reader, 1))).toBeNull();
      const written = await repo.appendAsMembers(request, sends(channel, admin, 1));
      expect(written?.members).toEqual(new Map([[channel, [admin]]]));
      expect(written?.channels).toEqual(new Set([channel]));
      expect(await lastSeq(channel)).toBe(1);
    });

    it('throws what is not a decline (a conversation named twice), writing nothing', async () => {
      const [alice, bob] = [randomUUID(), randomUUID()];
      const x = await conversation([alice, bob]);
      await expect(
        repo.appendAsMembers(
          [
            { conversationId: x, count: 1 },
            { conversationId: x, count: 1 },
          ],
          [...sends(x, alice, 1), ...sends(x, bob, 1)],
        ),
      ).rejects.toThrow('appears twice');
      expect(await lastSeq(x)).toBe(0);
    });
  });

  describe('plan cache', () => {
    // one pooled connection, so every call runs on the connection whose plan cache is read, with
    // the session settings every service's connections get, on copies of the tables holding what
    // these tests write (the planner's choices turn on the tables' statistics)
    const single = usePlanTables(['conversations', 'conversation_members', 'messages']);

    /** `calls` one-message appends by a member of a new conversation, on that connection. */
    async function appendOneAtATime(calls: number) {
      const one = new MessagesRepository(single.dataSource);
      const [alice, bob] = [randomUUID(), randomUUID()];
      const direct = await insertConversation(single.dataSource, { members: [alice, bob] });
      const firstSeqs: (number | undefined)[] = [];
      for (let call = 0; call < calls; call++) {
        const written = await one.appendAsMembers(
          [{ conversationId: direct, count: 1 }],
          fresh(direct, 1, { senderId: alice }),
        );
        firstSeqs.push(written?.allocations.get(direct)?.firstSeq);
      }
      return { direct, alice, firstSeqs };
    }

    it('keeps one generic plan for one-conversation appends instead of planning each again', async () => {
      const { direct, firstSeqs } = await appendOneAtATime(8);
      expect(firstSeqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // PostgreSQL plans the first five calls for their values, then keeps the generic plan
      // when it costs no more than they did: the arrays' length no longer makes it look dearer
      const append = 'storage.messages.appendAsMembers';
      expect(await planCounts(single.dataSource, [append])).toEqual({
        [append]: { custom: 5, generic: 3 },
      });
      expect((await stored(direct, single.dataSource)).map((r) => r.seq)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
    });

    it('probes conversations by key in that kept plan while the table is small', async () => {
      // a small table, analysed as such (the load tool analyses a young database): ten guessed
      // keys cost PostgreSQL's default random_page_cost more than a scan of a thousand rows
      const tag = unique();
      await single.dataSource.query(
        `INSERT INTO conversations (id, kind, pair_key)
         SELECT 'plan-' || $1 || '-' || g, 'direct', 'plan-' || $1 || '-' || g
           FROM generate_series(1, 1000) AS g`,
        [tag],
      );
      await single.dataSource.query('ANALYZE conversations');
      const { direct, alice } = await appendOneAtATime(6);
      // the plan the seventh call runs (EXPLAIN EXECUTE takes it from the same plan cache)
      // (a utility statement takes no bind parameters: the values are written in; ids are plain)
      const [{ 'QUERY PLAN': plan }] = await single.dataSource.query<{ 'QUERY PLAN': unknown }[]>(
        `EXPLAIN (FORMAT JSON) EXECUTE "storage.messages.appendAsMembers"('{${direct}}', '{1}',
           '{${direct}}', '{0}', '{${alice}}', '{m_${unique()}}', '{hello}', '{NULL}')`,
      );
      expect(planReadsOf(plan, 'conversations')).toEqual([
        'ModifyTable',
        'Index Scan',
        'Index Scan',
      ]);
      // by the ids' hash (AddConversationsIdHash), not by a descent of the primary key
      const hash = await single.indexOf('conversations', ' USING hash ');
      expect(planReadsOf(plan, 'conversations', 'Index Name')).toEqual([hash, hash]);
    });

    it('keeps one generic plan for the look-up of one retry and its conversation', async () => {
      // 1,000 direct conversations of two members and five messages each, analysed: with the
      // keys' arrays bare, a custom plan (which counts the keys) looked cheaper on every call
      await single.dataSource.query(
        `INSERT INTO conversations (id, kind, pair_key, last_seq)
         SELECT 'c-' || g, 'direct', 'c-' || g, 5 FROM generate_series(1, 1000) AS g`,
      );
      await single.dataSource.query(
        `INSERT INTO conversation_members (conversation_id, user_id)
         SELECT 'c-' || g, md5(p || g)::uuid
           FROM generate_series(1, 1000) AS g, (VALUES ('a'), ('b')) AS m(p)`,
      );
      await single.dataSource.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, server_time, body)
         SELECT 'c-' || g, k, md5('a' || g)::uuid, 'm-' || g || '-' || k, now(), 'hello'
           FROM generate_series(1, 1000) AS g, generate_series(1, 5) AS k`,
      );
      await single.dataSource.query('ANALYZE conversations, conversation_members, messages');
      const one = new MessagesRepository(single.dataSource);
      for (let call = 1; call <= 8; call++) {
        // a retry of a stored message (the path of the bursts of retries after a failover)
        const [{ sender }] = await single.dataSource.query<{ sender: string }[]>(
          `SELECT md5('a' || $1::text)::uuid::text AS sender`,
          [call],
        );
        const lookup = await one.lookUp(
          [{ senderId: sender, clientMsgId: `m-${call}-2` }],
          [`c-${call}`],
        );
        expect(lookup.stored.map((m) => [m.conversationId, m.seq])).toEqual([[`c-${call}`, 2]]);
        expect(lookup.members.get(`c-${call}`)).toHaveLength(2);
      }
      const lookUp = 'storage.messages.lookUp';
      expect(await planCounts(single.dataSource, [lookUp])).toEqual({
        [lookUp]: { custom: 5, generic: 3 },
      });
    });
  });
});
