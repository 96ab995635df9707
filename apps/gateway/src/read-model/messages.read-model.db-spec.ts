import { randomUUID } from 'node:crypto';
import type { DeliveredMessage } from '@parley/protocol';
import {
  insertConversation,
  insertMessages,
  insertUser,
  setDeliveredSeq,
  TestMessage,
  TestUser,
  unique,
} from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { MessagesReadModel, StreamPosition } from './messages.read-model';

describe('MessagesReadModel (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let messages: MessagesReadModel;

  beforeAll(() => {
    messages = new MessagesReadModel(db.dataSource);
  });

  const user = () => insertUser(db.dataSource);
  const seqs = (list: readonly DeliveredMessage[]) => list.map((m) => m.seq);
  const positions = (list: readonly DeliveredMessage[]) =>
    list.map((m) => `${m.conversationId.slice(-1)}${m.seq}`);

  function delivered(m: TestMessage, sender: TestUser | null): DeliveredMessage {
    return {
      conversationId: m.conversationId,
      seq: m.seq,
      senderId: m.senderId,
      senderUsername: sender?.username ?? '(deleted)',
      clientMsgId: m.clientMsgId,
      text: m.body,
      serverTime: m.serverTime.toISOString(),
    };
  }

  describe('latestBefore', () => {
    async function fiveMessages() {
      const [me, alice] = [await user(), await user()];
      const id = await insertConversation(db.dataSource, { members: [me.id, alice.id] });
      const sent = await insertMessages(
        db.dataSource,
        id,
        [1, 2, 3, 4, 5].map((i) => ({ senderId: i % 2 ? alice.id : me.id })),
      );
      // Another conversation's messages never leak in.
      const other = await insertConversation(db.dataSource, { members: [me.id, randomUUID()] });
      await insertMessages(db.dataSource, other, [{ senderId: me.id }, { senderId: me.id }]);
      return { id, sent, me, alice };
    }

    it('pages backwards from the latest, newest first', async () => {
      const { id } = await fiveMessages();
      expect(seqs(await messages.latestBefore(id, undefined, 1, 2))).toEqual([5, 4]);
      expect(seqs(await messages.latestBefore(id, 4, 1, 2))).toEqual([3, 2]);
      expect(seqs(await messages.latestBefore(id, 2, 1, 2))).toEqual([1]);
      expect(seqs(await messages.latestBefore(id, 1, 1, 2))).toEqual([]);
      expect(seqs(await messages.latestBefore(id, undefined, 1, 50))).toEqual([5, 4, 3, 2, 1]);
      expect(seqs(await messages.latestBefore(id, 100, 1, 1))).toEqual([5]);
    });

    it('reads nothing below the first readable seq', async () => {
      const { id } = await fiveMessages();
      expect(seqs(await messages.latestBefore(id, undefined, 4, 50))).toEqual([5, 4]);
      expect(seqs(await messages.latestBefore(id, 4, 4, 50))).toEqual([]);
    });

    it('returns messages as delivered to clients, with the sender’s username', async () => {
      const { id, sent, me, alice } = await fiveMessages();
      expect(await messages.latestBefore(id, 3, 1, 2)).toEqual([
        delivered(sent[1], me),
        delivered(sent[0], alice),
      ]);
    });

    it('names a sender whose account is gone "(deleted)"', async () => {
      const me = await user();
      const ghost = randomUUID();
      const id = await insertConversation(db.dataSource, { members: [me.id, ghost] });
      const [sent] = await insertMessages(db.dataSource, id, [{ senderId: ghost }]);
      expect(await messages.latestBefore(id, undefined, 1, 10)).toEqual([delivered(sent, null)]);
    });

    it('returns nothing for a conversation without messages', async () => {
      const id = await insertConversation(db.dataSource, { members: [randomUUID(), randomUUID()] });
      expect(await messages.latestBefore(id, undefined, 1, 10)).toEqual([]);
    });
  });

  describe('undelivered', () => {
    /**
     * Me in three conversations whose ids end in -B, -a and -c (byte order: B < a < c, unlike a
     * case-insensitive order), with 3, 2 and 1 messages; and one conversation I am not in.
     */
    async function inbox() {
      const [me, alice, bob] = [await user(), await user(), await user()];
      const stem = `${Date.now()}-${unique(16)}`;
      const [B, a, c] = [`${stem}-B`, `${stem}-a`, `${stem}-c`];
      await insertConversation(db.dataSource, { id: B, members: [me.id, alice.id] });
      await insertConversation(db.dataSource, { id: a, members: [me.id, bob.id] });
      await insertConversation(db.dataSource, { id: c, members: [me.id, alice.id, bob.id] });
      const sent = [
        ...(await insertMessages(db.dataSource, B, [
          { senderId: alice.id },
          { senderId: me.id },
          { senderId: alice.id },
        ])),
        ...(await insertMessages(db.dataSource, a, [{ senderId: bob.id }, { senderId: bob.id }])),
        ...(await insertMessages(db.dataSource, c, [{ senderId: alice.id }])),
      ];
      const notMine = await insertConversation(db.dataSource, {
        id: `${stem}-A`,
        members: [alice.id, bob.id],
      });
      await insertMessages(db.dataSource, notMine, [{ senderId: alice.id }]);
      return { me, alice, bob, B, a, c, sent };
    }

    it('returns everything past no cursor, by conversation id in byte order, then seq', async () => {
      const { me, alice, bob, sent } = await inbox();
      const all = await messages.undelivered(me.id, 'phone', null, 100);
      expect(positions(all)).toEqual(['B1', 'B2', 'B3', 'a1', 'a2', 'c1']);
      const senders = new Map([me, alice, bob].map((u) => [u.id, u]));
      expect(all).toEqual(sent.map((m) => delivered(m, senders.get(m.senderId) ?? null)));
    });

    it('skips what the device has delivered; other devices and users have their own cursors', async () => {
      const { me, alice, B, a } = await inbox();
      await setDeliveredSeq(db.dataSource, {
        userId: me.id,
        deviceId: 'phone',
        conversationId: B,
        seq: 2,
      });
      await setDeliveredSeq(db.dataSource, {
        userId: me.id,
        deviceId: 'phone',
        conversationId: a,
        seq: 2,
      });
      await setDeliveredSeq(db.dataSource, {
        userId: alice.id,
        deviceId: 'laptop',
        conversationId: B,
        seq: 3,
      });

      expect(positions(await messages.undelivered(me.id, 'phone', null, 100))).toEqual([
        'B3',
        'c1',
      ]);
      expect(positions(await messages.undelivered(me.id, 'laptop', null, 100))).toEqual([
        'B1',
        'B2',
        'B3',
        'a1',
        'a2',
        'c1',
      ]);
    });

    it('resumes after a stream position: later conversations whole, that one past its seq', async () => {
      const { me, B, a } = await inbox();
      const after = (conversationId: string, seq: number): StreamPosition => ({
        conversationId,
        seq,
      });
      expect(positions(await messages.undelivered(me.id, 'phone', after(B, 1), 100))).toEqual([
        'B2',
        'B3',
        'a1',
        'a2',
        'c1',
      ]);
      expect(positions(await messages.undelivered(me.id, 'phone', after(a, 1), 100))).toEqual([
        'a2',
        'c1',
      ]);
      expect(positions(await messages.undelivered(me.id, 'phone', after(a, 2), 100))).toEqual([
        'c1',
      ]);
    });

    it('takes the further of the device cursor and the stream position', async () => {
      const { me, B } = await inbox();
      await setDeliveredSeq(db.dataSource, {
        userId: me.id,
        deviceId: 'phone',
        conversationId: B,
        seq: 2,
      });
      const from = (seq: number) =>
        messages.undelivered(me.id, 'phone', { conversationId: B, seq }, 100);
      expect(positions(await from(1))).toEqual(['B3', 'a1', 'a2', 'c1']);
      await setDeliveredSeq(db.dataSource, {
        userId: me.id,
        deviceId: 'phone',
        conversationId: B,
        seq: 0,
      });
      expect(positions(await from(2))).toEqual(['B3', 'a1', 'a2', 'c1']);
    });

    it('pages through the whole stream by limit and position, without gaps or repeats', async () => {
      const { me } = await inbox();
      const pages: string[][] = [];
      let after: StreamPosition | null = null;
      for (;;) {
        const page = await messages.undelivered(me.id, 'phone', after, 2);
        if (page.length === 0) break;
        pages.push(positions(page));
        const last = page[page.length - 1];
        after = { conversationId: last.conversationId, seq: last.seq };
        if (pages.length > 10) throw new Error('paging does not end');
      }
      expect(pages).toEqual([
        ['B1', 'B2'],
        ['B3', 'a1'],
        ['a2', 'c1'],
      ]);
    });

    it('returns nothing for a user in no conversation', async () => {
      expect(await messages.undelivered(randomUUID(), 'phone', null, 10)).toEqual([]);
    });
  });
});
