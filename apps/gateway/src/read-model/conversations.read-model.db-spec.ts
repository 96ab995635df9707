import { randomUUID } from 'node:crypto';
import {
  conversationId,
  insertConversation,
  insertMessages,
  insertUser,
  setReadSeq,
  TestUser,
} from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { ConversationsReadModel } from './conversations.read-model';

describe('ConversationsReadModel (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let conversations: ConversationsReadModel;

  beforeAll(() => {
    conversations = new ConversationsReadModel(db.dataSource);
  });

  const T0 = Date.parse('2031-06-01T12:00:00.000Z');
  const at = (seconds: number) => new Date(T0 + seconds * 1000);
  const user = () => insertUser(db.dataSource);
  const conversation = (members: readonly (TestUser | string)[], createdAt?: Date) =>
    insertConversation(db.dataSource, {
      members: members.map((m) => (typeof m === 'string' ? m : m.id)),
      createdAt,
    });

  describe('membership', () => {
    it("lists the members of a conversation, with the asking user's role", async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const id = await conversation([a, b, c]);
      const found = await conversations.membership(id, a.id);
      expect(found?.memberIds.sort()).toEqual([a.id, b.id, c.id].sort());
      expect(found).toMatchObject({ kind: 'group', role: 'member' });
      const [stranger] = [await user()];
      expect(await conversations.membership(id, stranger.id)).toMatchObject({ role: null });
    });

    it('is null for an unknown conversation', async () => {
      expect(await conversations.membership(conversationId(), (await user()).id)).toBeNull();
    });
  });

  describe('channelsOf', () => {
    it('lists the channels the user is a current member of: not chats, groups, channels left or others’', async () => {
      const [me, alice, bob] = [await user(), await user(), await user()];
      await conversation([me, alice]);
      await conversation([me, alice, bob]);
      const mine = await insertConversation(db.dataSource, {
        members: [me.id, alice.id],
        kind: 'channel',
      });
      const left = await insertConversation(db.dataSource, {
        members: [me.id, bob.id],
        kind: 'channel',
      });
      await db.dataSource.query(
        `UPDATE conversation_members SET left_seq = 1 WHERE conversation_id = $1 AND user_id = $2`,
        [left, me.id],
      );
      const theirs = await insertConversation(db.dataSource, {
        members: [alice.id, bob.id],
        kind: 'channel',
      });

      expect(await conversations.channelsOf(me.id)).toEqual([mine]);
      expect((await conversations.channelsOf(bob.id)).sort()).toEqual([left, theirs].sort());

      // Many users in one query, each as channelsOf answers; a user in none has an empty list.
      const loner = await user();
      const many = await conversations.channelsOfUsers([me.id, bob.id, loner.id]);
      expect([...many.keys()]).toEqual([me.id, bob.id, loner.id]);
      expect(many.get(me.id)).toEqual([mine]);
      expect(many.get(bob.id)?.sort()).toEqual([left, theirs].sort());
      expect(many.get(loner.id)).toEqual([]);
      expect(await conversations.channelsOfUsers([])).toEqual(new Map());
    });
  });

  describe('lastSeq', () => {
    it('is 0 for a new conversation and follows its messages', async () => {
      const [a, b] = [await user(), await user()];
      const id = await conversation([a, b]);
      expect(await conversations.lastSeq(id)).toBe(0);
      await insertMessages(db.dataSource, id, [{ senderId: a.id }, { senderId: b.id }]);
      expect(await conversations.lastSeq(id)).toBe(2);
    });

    it('is null for an unknown conversation', async () => {
      expect(await conversations.lastSeq(conversationId())).toBeNull();
    });
  });

  describe('listForUser', () => {
    it('lists only the user’s conversations, newest activity first (id breaks ties)', async () => {
      const [me, alice, bob] = [await user(), await user(), await user()];
      const active = await conversation([me, alice], at(0));
      await insertMessages(db.dataSource, active, [{ senderId: alice.id, serverTime: at(30) }]);
      const quietNew = await conversation([me, bob], at(20));
      const olderActive = await conversation([me, alice, bob], at(10));
      await insertMessages(db.dataSource, olderActive, [{ senderId: bob.id, serverTime: at(15) }]);
      const tieA = await conversation([me, randomUUID(), randomUUID()], at(5));
      const tieB = await conversation([me, randomUUID(), randomUUID()], at(5));
      await conversation([alice, bob], at(100)); // not mine

      const listed = await conversations.listForUser(me.id, 50);
      expect(listed.map((c) => c.id)).toEqual([
        active,
        quietNew,
        olderActive,
        ...[tieA, tieB].sort().reverse(),
      ]);
    });

    it('stops at the limit', async () => {
      const [me, other] = [await user(), await user()];
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await conversation([me, other, randomUUID()], at(i)));
      expect((await conversations.listForUser(me.id, 2)).map((c) => c.id)).toEqual([
        ids[3],
        ids[2],
      ]);
    });

    it('gives a quiet conversation no last message and nothing unread', async () => {
      const [me, alice] = [await user(), await user()];
      const id = await conversation([me, alice], at(0));
      expect(await conversations.listForUser(me.id, 10)).toEqual([
        {
          id,
          kind: 'direct',
          title: null,
          history: null,
          timer: null,
          active: true,
          fromSeq: 1,
          lastSeq: 0,
          memberCount: 2,
          public: false,
          readSeq: 0,
          unread: 0,
          createdAt: at(0),
          lastMessageAt: null,
          lastMessage: null,
        },
      ]);
    });

    it('counts unread messages from others past the read cursor, and shows the last message', async () => {
      const [me, alice] = [await user(), await user()];
      const id = await conversation([me, alice], at(0));
      const sent = await insertMessages(db.dataSource, id, [
        { senderId: alice.id, serverTime: at(1) },
        { senderId: me.id, serverTime: at(2) },
        { senderId: alice.id, serverTime: at(3) },
        { senderId: alice.id, serverTime: at(4), body: 'the last word' },
      ]);
      await setReadSeq(db.dataSource, id, me.id, 3);

      const [mine] = await conversations.listForUser(me.id, 10);
      expect(mine).toEqual({
        id,
        kind: 'direct',
        title: null,
        history: null,
        timer: null,
        active: true,
        fromSeq: 1,
        lastSeq: 4,
        memberCount: 2,
        public: false,
        readSeq: 3,
        unread: 1,
        createdAt: at(0),
        lastMessageAt: at(4),
        lastMessage: {
          conversationId: id,
          seq: 4,
          senderId: alice.id,
          senderUsername: alice.username,
          clientMsgId: sent[3].clientMsgId,
          text: 'the last word',
          serverTime: at(4).toISOString(),
        },
      });
      // Alice has read nothing; of the four, only mine (seq 2) is from someone else.
      const [hers] = await conversations.listForUser(alice.id, 10);
      expect(hers).toMatchObject({ readSeq: 0, unread: 1, lastMessage: { seq: 4 } });
    });

    it('names a sender whose account is gone "(deleted)"', async () => {
      const me = await user();
      const ghost = randomUUID();
      const id = await conversation([me.id, ghost]);
      await insertMessages(db.dataSource, id, [{ senderId: ghost }]);
      const [row] = await conversations.listForUser(me.id, 10);
      expect(row.lastMessage).toMatchObject({ senderId: ghost, senderUsername: '(deleted)' });
      expect(row.unread).toBe(1);
    });

    it('lists just one conversation when asked, and none the user is not in', async () => {
      const [me, alice, bob] = [await user(), await user(), await user()];
      const first = await conversation([me, alice]);
      await conversation([me, bob]);
      const notMine = await conversation([alice, bob]);
      expect((await conversations.listForUser(me.id, 10, first)).map((c) => c.id)).toEqual([first]);
      expect(await conversations.listForUser(me.id, 10, notMine)).toEqual([]);
    });
  });

  describe('membersOf', () => {
    it('is empty for no conversations', async () => {
      expect(await conversations.membersOf([], randomUUID())).toEqual([]);
    });

    it('lists members with usernames by conversation, then by joining order', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const ghost = randomUUID();
      const first = await conversation([b, a]);
      const second = await conversation([c.id, ghost]);
      await conversation([a, c]); // not asked for
      await db.dataSource.query(
        `UPDATE conversation_members SET delivered_seq = 7, read_seq = 5
          WHERE conversation_id = $1 AND user_id = $2`,
        [first, b.id],
      );

      const rows = await conversations.membersOf([second, first, conversationId()], a.id);
      const none = { role: 'member', deliveredSeq: 0, readSeq: 0 };
      const expected = {
        [first]: [
          {
            conversationId: first,
            id: b.id,
            username: b.username,
            role: 'member',
            deliveredSeq: 7,
            readSeq: 5,
          },
          { conversationId: first, id: a.id, username: a.username, ...none },
        ],
        [second]: [
          { conversationId: second, id: c.id, username: c.username, ...none },
          { conversationId: second, id: ghost, username: '', ...none },
        ],
      };
      expect(rows).toEqual([first, second].sort().flatMap((id) => expected[id]));
    });

    it("shows another member's read cursor only when both have read receipts on; one's own always", async () => {
      const [a, b] = [await user(), await user()];
      const id = await conversation([a, b]);
      await db.dataSource.query(
        `UPDATE conversation_members SET delivered_seq = 7, read_seq = 5 WHERE conversation_id = $1`,
        [id],
      );
      const seen = async (viewer: { id: string }) =>
        (await conversations.membersOf([id], viewer.id)).map((m) => [m.deliveredSeq, m.readSeq]);
      const receipts = (u: { id: string }, on: boolean) =>
        db.dataSource.query('UPDATE users SET read_receipts = $2 WHERE id = $1', [u.id, on]);

      expect(await seen(a)).toEqual([
        [7, 5],
        [7, 5],
      ]);
      await receipts(b, false); // b hides its reads from a, and sees none of a's
      expect(await seen(a)).toEqual([
        [7, 5],
        [7, 0],
      ]);
      expect(await seen(b)).toEqual([
        [7, 0],
        [7, 5],
      ]);
      await receipts(b, true);
      await receipts(a, false);
      expect(await seen(a)).toEqual([
        [7, 5],
        [7, 0],
      ]);
      expect(await seen(b)).toEqual([
        [7, 0],
        [7, 5],
      ]);
    });
  });
});
