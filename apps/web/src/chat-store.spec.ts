import { MemoryOutboxStore, ParleyClient } from '@parley/client';
import type { ConversationView, DeliveredMessage, HistoryPageFrame } from '@parley/protocol';
import { FakeConnection } from '@parley/testing/fake-connection';
import { type ChatApi, ChatStore } from './chat-store';

const ME = { userId: '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c', username: 'alice' };
const BOB = '9d2c3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const C1 = '1763900000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const C2 = '1763900000000-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

const message = (conversationId: string, seq: number, from = BOB): DeliveredMessage => ({
  conversationId,
  seq,
  senderId: from,
  senderUsername: from === BOB ? 'bob' : ME.username,
  clientMsgId: `m-${conversationId.slice(-1)}-${seq}`,
  text: `text ${seq}`,
  serverTime: `2026-11-22T10:00:${String(seq).padStart(2, '0')}.000Z`,
});

const conversation = (id: string, lastSeq: number, unread = 0): ConversationView => ({
  id,
  kind: 'direct',
  title: null,
  history: null,
  active: true,
  fromSeq: 1,
  members: [
    { id: ME.userId, username: ME.username, role: 'member', deliveredSeq: 0, readSeq: 0 },
    { id: BOB, username: 'bob', role: 'member', deliveredSeq: 0, readSeq: 0 },
  ],
  lastMessage: lastSeq > 0 ? message(id, lastSeq) : null,
  lastSeq,
  readSeq: lastSeq - unread,
  unread,
});

/** A ChatStore over a fake connection and a fake API: the test plays the server. */
async function setup(list: ConversationView[]) {
  const server = new FakeConnection(ME);
  const client = new ParleyClient({ connection: server, outbox: new MemoryOutboxStore() });
  const api: ChatApi = {
    conversations: () => Promise.resolve(list),
    users: () => Promise.resolve([]),
    openConversation: () => Promise.reject(new Error('not in these tests')),
  };
  const chat = new ChatStore(ME, api, client);
  await chat.start(true);
  server.hello();
  server.syncDone();
  await new Promise((resolve) => setImmediate(resolve));
  const history = (conversationId: string, messages: DeliveredMessage[], hasMore: boolean) =>
    server.frame({
      type: 'history.page',
      ref: 'history',
      conversationId,
      messages,
      hasMore,
    } satisfies HistoryPageFrame);
  return { chat, server, history, order: () => chat.snapshot.conversations.map((c) => c.id) };
}

afterEach(() => jest.useRealTimers());

describe('ChatStore: the conversation list', () => {
  it('moves a conversation with a new message to the top, with its preview and one more unread', async () => {
    const t = await setup([conversation(C1, 3), conversation(C2, 5, 1)]);
    expect(t.order()).toEqual([C1, C2]);
    t.server.frame({ type: 'message', message: message(C2, 6) });
    expect(t.order()).toEqual([C2, C1]);
    expect(t.chat.snapshot.conversations[0]).toMatchObject({
      unread: 2,
      lastSeq: 6,
      lastMessage: { text: 'text 6' },
    });
    // A message already counted (seq not above lastSeq) changes nothing.
    t.server.frame({ type: 'message', message: message(C2, 6) });
    expect(t.chat.snapshot.conversations[0]?.unread).toBe(2);
  });

  it('moves a conversation up when an own message is acknowledged, as "sent", without unread', async () => {
    const t = await setup([conversation(C1, 3), conversation(C2, 5)]);
    t.chat.open(C2);
    expect(t.chat.send('from me')).toBe(true);
    const send = t.server.sent.find((f) => f.type === 'send');
    if (send?.type !== 'send') throw new Error('nothing sent');
    expect(t.chat.snapshot.items.at(-1)).toMatchObject({ text: 'from me', status: 'pending' });
    t.server.frame({
      type: 'ack',
      clientMsgId: send.clientMsgId,
      conversationId: C2,
      seq: 6,
      serverTime: '2026-11-22T10:01:00.000Z',
    });
    expect(t.order()).toEqual([C2, C1]);
    expect(t.chat.snapshot.conversations[0]).toMatchObject({
      unread: 0,
      lastSeq: 6,
      lastMessage: { text: 'from me', senderId: ME.userId },
    });
    expect(t.chat.snapshot.items.at(-1)).toMatchObject({ text: 'from me', status: 'sent', seq: 6 });
  });

  it('marks the open conversation read up to its newest message, once', async () => {
    const t = await setup([conversation(C1, 4, 2)]);
    t.chat.open(C1);
    t.history(C1, [message(C1, 3), message(C1, 4)], true);
    const reads = () => t.server.sent.filter((f) => f.type === 'read');
    expect(reads()).toEqual([{ type: 'read', conversationId: C1, seq: 4 }]);
    expect(t.chat.snapshot.conversations[0]?.unread).toBe(0);
    t.server.frame({ type: 'message', message: message(C1, 5) });
    expect(reads().map((r) => r.seq)).toEqual([4, 5]);
    t.history(C1, [message(C1, 1), message(C1, 2)], false);
    expect(reads()).toHaveLength(2);
  });
});

describe('ChatStore: older pages', () => {
  it('asks for the page before the oldest message shown, and stops at the first message', async () => {
    const t = await setup([conversation(C1, 60)]);
    t.chat.open(C1);
    const histories = () => t.server.sent.filter((f) => f.type === 'history');
    expect(histories()).toEqual([
      { type: 'history', ref: 'history', conversationId: C1, limit: 30 },
    ]);
    const page = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => message(C1, from + i));
    t.history(C1, page(31, 60), true);
    expect(t.chat.snapshot.hasOlder).toBe(true);
    t.chat.loadOlder();
    expect(histories().at(-1)).toMatchObject({ beforeSeq: 31, limit: 30 });
    t.history(C1, page(1, 30), false);
    expect(t.chat.snapshot.hasOlder).toBe(false);
    expect(t.chat.snapshot.items.map((i) => i.seq)).toEqual(page(1, 60).map((m) => m.seq));
    t.chat.loadOlder();
    expect(histories()).toHaveLength(2);
  });
});
