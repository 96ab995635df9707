import { randomUUID } from 'node:crypto';
import { insertConversation, unique } from '../../../../test/db/factories';
import { fulfilledValues, LockHolder, useRepoTestDb } from '../../../../test/db/repo-test-db';
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
});
