import { randomUUID } from 'node:crypto';
import { insertConversation, unique } from '../../../../test/db/factories';
import { fulfilledValues, LockHolder, useRepoTestDb } from '../../../../test/db/repo-test-db';
import { isUniqueViolation, MessageRow, MessagesRepository } from './messages.repository';

describe('MessagesRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let repo: MessagesRepository;

  beforeAll(() => {
    repo = new MessagesRepository(db.dataSource);
  });

  const conversation = (members: readonly string[] = [randomUUID(), randomUUID()]) =>
    insertConversation(db.dataSource, { members });

  function row(
    conversationId: string,
    seq: number,
    overrides: Partial<MessageRow> = {},
  ): MessageRow {
    return {
      conversationId,
      seq,
      senderId: randomUUID(),
      clientMsgId: `m_${unique()}`,
      serverTime: new Date('2031-07-01T10:00:00.123Z'),
      body: `body ${seq} ✓ ünïcode`,
      ...overrides,
    };
  }

  async function stored(conversationId: string): Promise<MessageRow[]> {
    const rows = await db.dataSource.query<
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

  describe('transaction', () => {
    it('commits what the work did when it resolves, and returns its result', async () => {
      const id = await conversation();
      const result = await repo.transaction(async (tx) => {
        const allocations = await tx.allocateSeqs([{ conversationId: id, count: 1 }]);
        await tx.insertMessages([row(id, 1)]);
        return allocations.get(id)?.firstSeq;
      });
      expect(result).toBe(1);
      expect(await lastSeq(id)).toBe(1);
      expect(await stored(id)).toHaveLength(1);
    });

    it('rolls everything back when the work throws (seqs stay gap-free)', async () => {
      const id = await conversation();
      await expect(
        repo.transaction(async (tx) => {
          await tx.allocateSeqs([{ conversationId: id, count: 3 }]);
          await tx.insertMessages([row(id, 1), row(id, 2), row(id, 3)]);
          throw new Error('publish failed');
        }),
      ).rejects.toThrow('publish failed');
      expect(await lastSeq(id)).toBe(0);
      expect(await stored(id)).toEqual([]);
    });
  });

  describe('findStored', () => {
    it('finds nothing for no keys', async () => {
      expect(await repo.transaction((tx) => tx.findStored([]))).toEqual([]);
    });

    it('finds stored messages by exact (sender, clientMsgId) pairs, not by either alone', async () => {
      const id = await conversation();
      const [alice, bob] = [randomUUID(), randomUUID()];
      const rows = [
        row(id, 1, { senderId: alice, clientMsgId: 'one' }),
        row(id, 2, { senderId: alice, clientMsgId: 'two' }),
        row(id, 3, { senderId: bob, clientMsgId: 'one' }),
      ];
      await repo.transaction(async (tx) => {
        await tx.allocateSeqs([{ conversationId: id, count: 3 }]);
        await tx.insertMessages(rows);
      });

      const found = await repo.transaction((tx) =>
        tx.findStored([
          { senderId: alice, clientMsgId: 'one' },
          { senderId: bob, clientMsgId: 'two' },
          { senderId: randomUUID(), clientMsgId: 'one' },
        ]),
      );
      expect(found).toEqual([rows[0]]);
    });
  });

  describe('membersOf', () => {
    it('maps each existing conversation to its members in joining order; missing ones are absent', async () => {
      const members = [randomUUID(), randomUUID(), randomUUID()];
      const group = await insertConversation(db.dataSource, { members, kind: 'group' });
      const empty = await insertConversation(db.dataSource, { members: [], kind: 'group' });
      const missing = `missing-${unique()}`;

      const found = await repo.transaction((tx) => tx.membersOf([group, empty, missing]));
      expect(found).toEqual(
        new Map([
          [group, members],
          [empty, []],
        ]),
      );
    });

    it('returns an empty map for no conversations', async () => {
      expect(await repo.transaction((tx) => tx.membersOf([]))).toEqual(new Map());
    });
  });

  describe('allocateSeqs', () => {
    it('allocates nothing for no requests', async () => {
      expect(await repo.transaction((tx) => tx.allocateSeqs([]))).toEqual(new Map());
    });

    it('reserves consecutive ranges per conversation and continues where the last one ended', async () => {
      const [x, y] = [await conversation(), await conversation()];
      const first = await repo.transaction((tx) =>
        tx.allocateSeqs([
          { conversationId: x, count: 3 },
          { conversationId: y, count: 1 },
        ]),
      );
      expect(first.get(x)?.firstSeq).toBe(1);
      expect(first.get(y)?.firstSeq).toBe(1);
      const second = await repo.transaction((tx) =>
        tx.allocateSeqs([
          { conversationId: y, count: 2 },
          { conversationId: x, count: 1 },
        ]),
      );
      expect(second.get(x)?.firstSeq).toBe(4);
      expect(second.get(y)?.firstSeq).toBe(2);
      expect([await lastSeq(x), await lastSeq(y)]).toEqual([4, 3]);
    });

    it('stamps one server time per transaction: its now(), to the millisecond, also last_message_at', async () => {
      const [x, y] = [await conversation(), await conversation()];
      const allocations = await repo.transaction((tx) =>
        tx.allocateSeqs([
          { conversationId: x, count: 1 },
          { conversationId: y, count: 1 },
        ]),
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
    });

    it('throws for a missing conversation, and the transaction takes the others back', async () => {
      const x = await conversation();
      const missing = `missing-${unique()}`;
      await expect(
        repo.transaction((tx) =>
          tx.allocateSeqs([
            { conversationId: x, count: 2 },
            { conversationId: missing, count: 1 },
          ]),
        ),
      ).rejects.toThrow(`conversation ${missing} vanished during seq allocation`);
      expect(await lastSeq(x)).toBe(0);
    });

    it('refuses a conversation named twice in one request (its ranges would overlap), allocating nothing', async () => {
      const x = await conversation();
      await expect(
        repo.transaction((tx) =>
          tx.allocateSeqs([
            { conversationId: x, count: 2 },
            { conversationId: x, count: 1 },
          ]),
        ),
      ).rejects.toThrow('appears twice');
      expect(await lastSeq(x)).toBe(0);
    });

    it('keeps seqs gap-free and unique when many transactions allocate in one conversation at once', async () => {
      const id = await conversation();
      const writers = 5;
      // Hold the conversation row so every writer queues on it, then release them together.
      const holder = await LockHolder.begin(db.dataSource);
      await holder.query(`SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, [id]);
      const racing = Promise.allSettled(
        Array.from({ length: writers }, () =>
          repo.transaction(async (tx) => {
            const allocation = (await tx.allocateSeqs([{ conversationId: id, count: 2 }])).get(id);
            if (!allocation) throw new Error('no allocation');
            const rows = [0, 1].map((i) =>
              row(id, allocation.firstSeq + i, { serverTime: allocation.serverTime }),
            );
            await tx.insertMessages(rows);
            return allocation.firstSeq;
          }),
        ),
      );
      await holder.waitForWaiters(writers, racing);
      await holder.commit();

      const firstSeqs = fulfilledValues(await racing).sort((a, b) => a - b);
      expect(firstSeqs).toEqual([1, 3, 5, 7, 9]);
      expect((await stored(id)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await lastSeq(id)).toBe(10);
    });
  });

  describe('insertMessages', () => {
    it('does nothing for no rows', async () => {
      await expect(repo.transaction((tx) => tx.insertMessages([]))).resolves.toBeUndefined();
    });

    it('stores every field as given (times to the millisecond, text as is)', async () => {
      const id = await conversation();
      const rows = [
        row(id, 1, { body: '' }),
        row(id, 2, { body: 'line one\nline "two" \\ \'three\'' }),
        row(id, 3, { serverTime: new Date('2031-12-31T23:59:59.999Z') }),
      ];
      await repo.transaction(async (tx) => {
        await tx.allocateSeqs([{ conversationId: id, count: rows.length }]);
        await tx.insertMessages(rows);
      });
      expect(await stored(id)).toEqual(rows);
    });

    it('refuses a resent (sender, clientMsgId) as a unique violation, and rolls back its batch', async () => {
      const id = await conversation();
      const original = row(id, 1);
      await repo.transaction(async (tx) => {
        await tx.allocateSeqs([{ conversationId: id, count: 1 }]);
        await tx.insertMessages([original]);
      });

      const error: unknown = await repo
        .transaction(async (tx) => {
          await tx.allocateSeqs([{ conversationId: id, count: 2 }]);
          await tx.insertMessages([
            row(id, 2),
            row(id, 3, { senderId: original.senderId, clientMsgId: original.clientMsgId }),
          ]);
        })
        .catch((err: unknown) => err);
      expect(isUniqueViolation(error)).toBe(true);
      expect(error).toMatchObject({ constraint: 'messages_sender_client_msg_id_uq' });
      expect(await stored(id)).toEqual([original]);
      expect(await lastSeq(id)).toBe(1);
    });

    it('refuses a seq already taken in the conversation', async () => {
      const id = await conversation();
      await repo.transaction((tx) => tx.insertMessages([row(id, 1)]));
      const error: unknown = await repo
        .transaction((tx) => tx.insertMessages([row(id, 1)]))
        .catch((err: unknown) => err);
      expect(isUniqueViolation(error)).toBe(true);
      expect(error).toMatchObject({ constraint: 'messages_pkey' });
    });

    it('is not a unique violation when the conversation does not exist', async () => {
      const error: unknown = await repo
        .transaction((tx) => tx.insertMessages([row(`missing-${unique()}`, 1)]))
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      expect(isUniqueViolation(error)).toBe(false);
    });
  });
});
