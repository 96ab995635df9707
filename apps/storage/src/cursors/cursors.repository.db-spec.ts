import { randomUUID } from 'node:crypto';
import {
  insertConversation,
  insertMessages,
  insertUser,
  unique,
} from '../../../../test/db/factories';
import { planCounts, useRepoTestDb } from '../../../../test/db/repo-test-db';
import { CursorsRepository, RECEIPT_SENDER_SCAN_LIMIT } from './cursors.repository';

describe('CursorsRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let repo: CursorsRepository;

  beforeAll(() => {
    repo = new CursorsRepository(db.dataSource);
  });

  /** A conversation of two with `messages` messages (last_seq = messages). */
  async function conversation(messages: number) {
    const [me, peer] = [randomUUID(), randomUUID()];
    const id = await insertConversation(db.dataSource, { members: [me, peer] });
    await insertMessages(
      db.dataSource,
      id,
      Array.from({ length: messages }, (_, i) => ({ senderId: i % 2 ? me : peer })),
    );
    return { id, me, peer };
  }

  async function delivered(userId: string, deviceId: string, conversationId: string) {
    const rows = await db.dataSource.query<{ delivered_seq: string }[]>(
      `SELECT delivered_seq FROM device_cursors
        WHERE user_id = $1 AND device_id = $2 AND conversation_id = $3`,
      [userId, deviceId, conversationId],
    );
    return rows[0] ? Number(rows[0].delivered_seq) : null;
  }

  async function readSeq(conversationId: string, userId: string) {
    const rows = await db.dataSource.query<{ read_seq: string }[]>(
      `SELECT read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
    return rows[0] ? Number(rows[0].read_seq) : null;
  }

  describe('findMemberships', () => {
    it('keeps exactly the (conversation, user) pairs that are memberships', async () => {
      const [one, two] = [await conversation(0), await conversation(0)];
      const found = await repo.findMemberships([
        { conversationId: one.id, userId: one.me },
        { conversationId: one.id, userId: two.me }, // a member elsewhere
        { conversationId: two.id, userId: two.peer },
        { conversationId: `missing-${unique()}`, userId: one.me },
      ]);
      expect(found).toEqual(
        expect.arrayContaining([
          { conversationId: one.id, userId: one.me, former: false },
          { conversationId: two.id, userId: two.peer, former: false },
        ]),
      );
      expect(found).toHaveLength(2);
    });

    it('finds nothing for no pairs', async () => {
      expect(await repo.findMemberships([])).toEqual([]);
    });
  });

  describe('advance: devices’ delivered cursors', () => {
    it('creates a device cursor, then only moves it forward (replays are harmless)', async () => {
      const { id, me } = await conversation(5);
      const advance = (seq: number) =>
        repo.advance([{ conversationId: id, userId: me, deviceId: 'phone', seq }], []);
      await advance(2);
      expect(await delivered(me, 'phone', id)).toBe(2);
      await advance(4);
      expect(await delivered(me, 'phone', id)).toBe(4);
      await advance(1);
      expect(await delivered(me, 'phone', id)).toBe(4);
      await advance(4);
      expect(await delivered(me, 'phone', id)).toBe(4);
    });

    it('never moves a cursor past the conversation’s last seq', async () => {
      const { id, me } = await conversation(3);
      await repo.advance([{ conversationId: id, userId: me, deviceId: 'phone', seq: 99 }], []);
      expect(await delivered(me, 'phone', id)).toBe(3);
    });

    it('moves many cursors in one call, each device and user on its own', async () => {
      const a = await conversation(5);
      const b = await conversation(5);
      await repo.advance(
        [
          { conversationId: a.id, userId: a.me, deviceId: 'phone', seq: 2 },
          { conversationId: a.id, userId: a.me, deviceId: 'laptop', seq: 5 },
          { conversationId: a.id, userId: a.peer, deviceId: 'phone', seq: 1 },
          { conversationId: b.id, userId: b.me, deviceId: 'phone', seq: 3 },
        ],
        [],
      );
      expect([
        await delivered(a.me, 'phone', a.id),
        await delivered(a.me, 'laptop', a.id),
        await delivered(a.peer, 'phone', a.id),
        await delivered(b.me, 'phone', b.id),
        await delivered(b.me, 'laptop', b.id),
      ]).toEqual([2, 5, 1, 3, null]);
    });

    it('ignores a conversation that does not exist (no row, no error)', async () => {
      const userId = randomUUID();
      const missing = `missing-${unique()}`;
      await repo.advance([{ conversationId: missing, userId, deviceId: 'phone', seq: 1 }], []);
      expect(await delivered(userId, 'phone', missing)).toBeNull();
    });

    it('refuses one cursor twice in a call, writing nothing (callers merge: cursor-persist.plan)', async () => {
      const { id, me, peer } = await conversation(5);
      await expect(
        repo.advance(
          [
            { conversationId: id, userId: peer, deviceId: 'phone', seq: 1 },
            { conversationId: id, userId: me, deviceId: 'phone', seq: 2 },
            { conversationId: id, userId: me, deviceId: 'phone', seq: 3 },
          ],
          [],
        ),
      ).rejects.toThrow(/cannot affect row a second time/);
      expect(await delivered(peer, 'phone', id)).toBeNull();
    });

    it('does nothing for no cursors', async () => {
      await expect(repo.advance([], [])).resolves.toEqual([]);
    });
  });

  describe('advance: both in one statement', () => {
    it('moves the devices’ cursors and the members’ in one call', async () => {
      const { id, me, peer } = await conversation(4);
      const moved = await repo.advance(
        [{ conversationId: id, userId: me, deviceId: 'phone', seq: 3 }],
        [{ conversationId: id, userId: me, deliveredSeq: 3, readSeq: 2 }],
      );
      expect(moved).toMatchObject([
        { conversationId: id, userId: me, deliveredSeq: 3, readSeq: 2 },
      ]);
      expect(moved[0].memberIds).toEqual([peer]);
      expect(await delivered(me, 'phone', id)).toBe(3);
      expect(await readSeq(id, me)).toBe(2);
    });

    it('writes neither when the statement is refused (no member moved by a failed call)', async () => {
      const { id, me, peer } = await conversation(5);
      await expect(
        repo.advance(
          [
            { conversationId: id, userId: me, deviceId: 'phone', seq: 2 },
            { conversationId: id, userId: me, deviceId: 'phone', seq: 3 },
          ],
          [{ conversationId: id, userId: peer, deliveredSeq: 4, readSeq: 4 }],
        ),
      ).rejects.toThrow(/cannot affect row a second time/);
      expect(await delivered(me, 'phone', id)).toBeNull();
      expect(await readSeq(id, peer)).toBe(0);
      const logged = await db.dataSource.query<unknown[]>(
        'SELECT 1 FROM receipt_moves WHERE conversation_id = $1',
        [id],
      );
      expect(logged).toEqual([]);
    });
  });

  describe('advance: members’ cursors', () => {
    async function receipt(conversationId: string, userId: string) {
      const rows = await db.dataSource.query<{ delivered_seq: string; read_seq: string }[]>(
        `SELECT delivered_seq, read_seq FROM conversation_members
          WHERE conversation_id = $1 AND user_id = $2`,
        [conversationId, userId],
      );
      return rows[0]
        ? { delivered: Number(rows[0].delivered_seq), read: Number(rows[0].read_seq) }
        : null;
    }

    it('moves a member’s cursors forward only, capped at the last seq, and returns what moved', async () => {
      const { id, me, peer } = await conversation(4);
      const move = (deliveredSeq: number, readSeq: number) =>
        repo.advance([], [{ conversationId: id, userId: me, deliveredSeq, readSeq }]);
      const [first, ...more] = await move(2, 0);
      expect(more).toEqual([]);
      expect(first).toMatchObject({ conversationId: id, userId: me, deliveredSeq: 2, readSeq: 0 });
      expect(first.memberIds).toEqual([peer]); // the sender of seq 1 (seq 2 is mine)
      expect(await move(1, 1)).toMatchObject([{ deliveredSeq: 2, readSeq: 1 }]);
      expect(await move(2, 1)).toEqual([]); // nothing moved: nothing to tell
      expect(await move(10, 10)).toMatchObject([{ deliveredSeq: 4, readSeq: 4 }]);
      expect(await receipt(id, me)).toEqual({ delivered: 4, read: 4 });
      expect(await receipt(id, peer)).toEqual({ delivered: 0, read: 0 });
      expect(await readSeq(id, me)).toBe(4);
    });

    it('counts a read as delivered', async () => {
      const { id, me } = await conversation(5);
      await repo.advance([], [{ conversationId: id, userId: me, deliveredSeq: 0, readSeq: 3 }]);
      expect(await receipt(id, me)).toEqual({ delivered: 3, read: 3 });
    });

    it('moves many members in one call', async () => {
      const a = await conversation(4);
      const b = await conversation(4);
      const moved = await repo.advance(
        [],
        [
          { conversationId: a.id, userId: a.me, deliveredSeq: 4, readSeq: 3 },
          { conversationId: a.id, userId: a.peer, deliveredSeq: 1, readSeq: 1 },
          { conversationId: b.id, userId: b.peer, deliveredSeq: 4, readSeq: 4 },
        ],
      );
      expect(moved).toHaveLength(3);
      expect([
        await receipt(a.id, a.me),
        await receipt(a.id, a.peer),
        await receipt(b.id, b.me),
        await receipt(b.id, b.peer),
      ]).toEqual([
        { delivered: 4, read: 3 },
        { delivered: 1, read: 1 },
        { delivered: 0, read: 0 },
        { delivered: 4, read: 4 },
      ]);
    });

    it('ignores non-members and missing conversations (no row, no error)', async () => {
      const { id, me } = await conversation(3);
      const stranger = randomUUID();
      const moved = await repo.advance(
        [],
        [
          { conversationId: id, userId: stranger, deliveredSeq: 2, readSeq: 2 },
          { conversationId: `missing-${unique()}`, userId: me, deliveredSeq: 2, readSeq: 2 },
        ],
      );
      expect(moved).toEqual([]);
      expect(await receipt(id, stranger)).toBeNull();
      expect(await receipt(id, me)).toEqual({ delivered: 0, read: 0 });
    });

    it('tells the senders of the messages a move passed, and nobody else; everyone past the scan limit', async () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const id = await insertConversation(db.dataSource, { members: [a, b, c] });
      await insertMessages(db.dataSource, id, [{ senderId: a }, { senderId: b }, { senderId: c }]);
      const move = async (deliveredSeq: number, readSeq: number) => {
        const moved = await repo.advance(
          [],
          [{ conversationId: id, userId: c, deliveredSeq, readSeq }],
        );
        return moved.map((m) => [...m.memberIds].sort());
      };
      expect(await move(1, 0)).toEqual([[a]]);
      expect(await move(3, 0)).toEqual([[b]]); // (1, 3]: b's seq 2 and c's own seq 3
      expect(await move(3, 1)).toEqual([[a]]); // only the read cursor moved: (0, 1]
      expect(await move(3, 3)).toEqual([[b]]);

      const many = Array.from({ length: RECEIPT_SENDER_SCAN_LIMIT + 1 }, () => ({ senderId: c }));
      await insertMessages(db.dataSource, id, many);
      expect(await move(3 + many.length, 0)).toEqual([[a, b].sort()]);
    });

    it('moves a former member’s read cursor up to its leaving, no further, and tells no one', async () => {
      const { id, me, peer } = await conversation(4);
      await db.dataSource.query(
        `UPDATE conversation_members SET left_seq = 3 WHERE conversation_id = $1 AND user_id = $2`,
        [id, me],
      );
      const moved = await repo.advance(
        [],
        [{ conversationId: id, userId: me, deliveredSeq: 0, readSeq: 4 }],
      );
      expect(moved).toEqual([]); // not a receipt: nobody is told
      expect(await receipt(id, me)).toEqual({ delivered: 3, read: 3 });
      const logged = await db.dataSource.query<unknown[]>(
        `SELECT 1 FROM receipt_moves WHERE conversation_id = $1 AND user_id = $2`,
        [id, me],
      );
      expect(logged).toEqual([]);
      const found = await repo.findMemberships([
        { conversationId: id, userId: me },
        { conversationId: id, userId: peer },
      ]);
      expect(found.sort((a, b) => Number(a.former) - Number(b.former))).toEqual([
        { conversationId: id, userId: peer, former: false },
        { conversationId: id, userId: me, former: true },
      ]);
    });

    it('does nothing for no moves', async () => {
      await expect(repo.advance([], [])).resolves.toEqual([]);
    });

    it('says whose read state is hidden: the mover’s, and which members see none (users.read_receipts)', async () => {
      const [me, peer] = [await insertUser(db.dataSource), await insertUser(db.dataSource)];
      const id = await insertConversation(db.dataSource, { members: [me.id, peer.id] });
      await insertMessages(db.dataSource, id, [{ senderId: me.id }, { senderId: peer.id }]);
      await insertMessages(db.dataSource, id, [{ senderId: me.id }, { senderId: peer.id }]);
      const move = (userId: string, seq: number) =>
        repo.advance([], [{ conversationId: id, userId, deliveredSeq: seq, readSeq: seq }]);
      const receipts = (userId: string, on: boolean) =>
        db.dataSource.query('UPDATE users SET read_receipts = $2 WHERE id = $1', [userId, on]);
      expect(await move(me.id, 1)).toMatchObject([{ readHidden: false, blindIds: [] }]);
      await receipts(peer.id, false);
      expect(await move(me.id, 2)).toMatchObject([{ readHidden: false, blindIds: [peer.id] }]);
      expect(await move(peer.id, 2)).toMatchObject([
        { readHidden: true, memberIds: [me.id], blindIds: [] },
      ]);
      await receipts(peer.id, true);
      expect(await move(me.id, 3)).toMatchObject([{ readHidden: false, blindIds: [] }]);
    });
  });

  describe('plan cache', () => {
    // one pooled connection, so every call runs on the connection whose plan cache is read
    const single = useRepoTestDb([], { max: 1 });

    it('keeps one generic plan for the look-up and the writes of one pair', async () => {
      const one = new CursorsRepository(single.dataSource);
      const [me, peer] = [randomUUID(), randomUUID()];
      const id = await insertConversation(single.dataSource, { members: [me, peer] });
      await insertMessages(single.dataSource, id, [{ senderId: peer }, { senderId: peer }]);
      // memberships enough that ten probes cost the planner more than one (as in any real
      // database): what made a custom plan for one pair look cheaper than the generic one
      const crowd = Array.from({ length: 2000 }, () => randomUUID());
      await insertConversation(single.dataSource, { members: crowd, kind: 'group' });
      await single.dataSource.query('ANALYZE conversation_members');
      for (let call = 0; call < 8; call++) {
        expect(await one.findMemberships([{ conversationId: id, userId: me }])).toEqual([
          { conversationId: id, userId: me, former: false },
        ]);
        await one.advance(
          [{ conversationId: id, userId: me, deviceId: 'phone', seq: 1 }],
          [{ conversationId: id, userId: me, deliveredSeq: 1, readSeq: 0 }],
        );
      }
      const [find, advance] = ['storage.cursors.findMemberships', 'storage.cursors.advance'];
      expect(await planCounts(single.dataSource, [find, advance])).toEqual({
        [find]: { custom: 5, generic: 3 },
        [advance]: { custom: 5, generic: 3 },
      });
      expect(await delivered(me, 'phone', id)).toBe(1);
    });
  });
});
