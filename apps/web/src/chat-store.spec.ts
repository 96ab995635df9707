import {
  ACTIVITY_REPORT_MIN_INTERVAL_MS,
  ApiError,
  GroupChangeError,
  MemoryOutboxStore,
  ParleyClient,
} from '@parley/client';
import {
  type ConversationEvent,
  type ConversationView,
  type DeliveredMessage,
  ErrorCode,
  type HistoryPageFrame,
  type MessageImage,
  type MessageReceiptsAnswer,
  type PresenceFrame,
  type PresenceVisibility,
  PRESENCE_WATCH_MAX,
  TYPING_TTL_MS,
  type UserPresence,
} from '@parley/protocol';
import { FIXTURE_IMAGE } from '@parley/testing/delivered-message.fixture';
import { FakeConnection } from '@parley/testing/fake-connection';
import { stopAfterEach } from '@parley/testing/stop-after-each';
import { type ChannelListing, type ChatApi, ChatStore } from './chat-store';
import { seenAt } from './text/presence';

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
  public: false,
  memberCount: 2,
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

const CAROL = '3a7e3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const G = '1763900000000-cccccccccccccccccccccccccccccccc';

/** A group of alice (admin), bob and carol, up to `lastSeq`. */
const group = (lastSeq: number): ConversationView => {
  const base = conversation(G, lastSeq);
  return {
    ...base,
    kind: 'group',
    title: 'Book club',
    history: 'joined',
    memberCount: 3,
    members: [
      { ...base.members[0], role: 'admin' },
      base.members[1],
      { id: CAROL, username: 'carol', role: 'member', deliveredSeq: 0, readSeq: 0 },
    ],
  };
};

/** Membership event `seq` of G, made by alice (or `by`). */
const groupEvent = (
  seq: number,
  event: ConversationEvent,
  text: string,
  by = { id: ME.userId, username: ME.username },
): DeliveredMessage => ({
  ...message(G, seq, by.id),
  senderUsername: by.username,
  text,
  event,
});

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Every store a test makes, stopped after it. */
const stopAfterTest = stopAfterEach<ChatStore>();

/** A ChatStore over a fake connection and a fake API: the test plays the server. */
async function setup(
  list: ConversationView[],
  receipts: (seq: number) => Promise<MessageReceiptsAnswer> = () =>
    Promise.reject(new Error('not in this test')),
) {
  const server = new FakeConnection(ME);
  const client = new ParleyClient({ connection: server, outbox: new MemoryOutboxStore() });
  let readReceipts = true;
  let presence: PresenceVisibility = 'everyone';
  const api: ChatApi = {
    conversations: () => Promise.resolve(list),
    users: () => Promise.resolve([]),
    openConversation: () => Promise.reject(new Error('not in these tests')),
    messageReceipts: (_conversationId, seq) => receipts(seq),
    channels: () => Promise.resolve([]),
    uploadImage: () => Promise.reject(new Error('not in these tests')),
    image: () => Promise.reject(new Error('not in these tests')),
    settings: () => Promise.resolve({ readReceipts, presence }),
    changeSettings: (change) => {
      if (change.readReceipts === undefined && change.presence === undefined) {
        return Promise.reject(new Error('names nothing'));
      }
      readReceipts = change.readReceipts ?? readReceipts;
      presence = change.presence ?? presence;
      return Promise.resolve({ readReceipts, presence });
    },
  };
  const chat = new ChatStore(ME, api, client);
  stopAfterTest(chat);
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
  return {
    chat,
    server,
    api,
    history,
    list,
    order: () => chat.snapshot.conversations.map((c) => c.id),
    /** The only group frame the client sent since the last call. */
    groupFrame: () => {
      const frame = server.sent.filter((f) => f.type === 'group').at(-1);
      if (frame?.type !== 'group') throw new Error('no group frame sent');
      return frame;
    },
  };
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

describe('ChatStore: read receipts off', () => {
  it('turned off, drops the read marks it showed and takes the list as the server now shows it', async () => {
    const read = conversation(C1, 4);
    read.members[1] = { ...read.members[1], deliveredSeq: 4, readSeq: 4 };
    const t = await setup([read]);
    t.chat.open(C1);
    t.history(C1, [message(C1, 4, ME.userId)], false);
    expect(t.chat.snapshot.items.at(-1)).toMatchObject({ seq: 4, status: 'read' });

    await t.chat.loadSettings();
    expect(t.chat.snapshot.settings).toEqual({
      readReceipts: true,
      presence: 'everyone',
      saving: false,
    });
    // The server hides bob's read cursor from now on.
    t.list[0] = { ...read, members: [read.members[0], { ...read.members[1], readSeq: 0 }] };
    await t.chat.setReadReceipts(false);
    expect(t.chat.snapshot.settings).toEqual({
      readReceipts: false,
      presence: 'everyone',
      saving: false,
    });
    expect(t.chat.snapshot.items.at(-1)).toMatchObject({ seq: 4, status: 'delivered' });
  });
});

describe('ChatStore: list reads racing local changes', () => {
  /** A store whose list reads the test answers, one by one, in any order. */
  async function racing() {
    const server = new FakeConnection(ME);
    const client = new ParleyClient({ connection: server, outbox: new MemoryOutboxStore() });
    const reads: ((list: ConversationView[]) => void)[] = [];
    const api: ChatApi = {
      conversations: () => new Promise((resolve) => reads.push(resolve)),
      users: () => Promise.resolve([]),
      openConversation: () => Promise.resolve(conversation(C2, 0)),
      messageReceipts: () => Promise.reject(new Error('not in these tests')),
      channels: () => Promise.resolve([]),
      uploadImage: () => Promise.reject(new Error('not in these tests')),
      image: () => Promise.reject(new Error('not in these tests')),
      settings: () => Promise.reject(new Error('not in these tests')),
      changeSettings: () => Promise.reject(new Error('not in these tests')),
    };
    const chat = new ChatStore(ME, api, client);
    stopAfterTest(chat);
    await chat.start(true);
    return { chat, server, reads, order: () => chat.snapshot.conversations.map((c) => c.id) };
  }

  it('keeps a chat started while the list was being read, though that answer lacks it', async () => {
    const t = await racing();
    t.server.hello(); // asks for the list
    await t.chat.startChatWith('bob');
    expect(t.order()).toEqual([C2]);
    t.reads[0]([conversation(C1, 3)]); // asked before the chat with bob existed
    await flush();
    expect(t.order()).toEqual([C2, C1]);
    // A read begun after the chat was started is the truth again.
    t.server.hello();
    t.reads[1]([conversation(C1, 3)]);
    await flush();
    expect(t.order()).toEqual([C1]);
  });

  it('never lets an older answer overwrite a newer one', async () => {
    const t = await racing();
    t.server.hello();
    t.server.hello();
    t.reads[1]([conversation(C1, 3), conversation(C2, 1)]);
    await flush();
    t.reads[0]([conversation(C1, 3)]);
    await flush();
    expect(t.order()).toEqual([C1, C2]);
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

describe('ChatStore: groups', () => {
  it('shows a membership event as an event line, and the list follows it at once (name, members, roles)', async () => {
    const t = await setup([group(3)]);
    t.chat.open(G);
    t.server.frame({
      type: 'message',
      message: groupEvent(
        4,
        { type: 'renamed', name: 'Readers' },
        'bob renamed the group to "Readers"',
        { id: BOB, username: 'bob' },
      ),
    });
    t.server.frame({
      type: 'message',
      message: groupEvent(
        5,
        { type: 'removed', members: [{ id: CAROL, username: 'carol' }] },
        'alice removed carol',
      ),
    });
    t.server.frame({
      type: 'message',
      message: groupEvent(
        6,
        { type: 'promoted', members: [{ id: BOB, username: 'bob' }] },
        'alice made bob admin',
      ),
    });
    const view = t.chat.snapshot.conversations[0];
    expect(view).toMatchObject({ title: 'Readers', lastSeq: 6, active: true, memberCount: 2 });
    expect(view?.members.map((m) => `${m.username}:${m.role}`)).toEqual([
      'alice:admin',
      'bob:admin',
    ]);
    expect(t.chat.snapshot.items.slice(-3)).toEqual([
      expect.objectContaining({ event: true, text: 'bob renamed the group to "Readers"' }),
      expect.objectContaining({ event: true, text: 'alice removed carol' }),
      expect.objectContaining({ event: true, text: 'alice made bob admin', own: true }),
    ]);
    expect(t.chat.snapshot.items.at(-1)?.status).toBeUndefined();
  });

  it('counts only the members left for the marks of own messages', async () => {
    const t = await setup([group(3)]);
    t.chat.client.receipts.seed(G, [
      { id: BOB, deliveredSeq: 3, readSeq: 3 },
      { id: CAROL, deliveredSeq: 0, readSeq: 0 },
    ]);
    expect(t.chat.client.receipts.mark(G, 3, ME.userId)).toBe('sent');
    t.server.frame({
      type: 'message',
      message: groupEvent(4, { type: 'left' }, 'carol left', { id: CAROL, username: 'carol' }),
    });
    expect(t.chat.client.receipts.mark(G, 3, ME.userId)).toBe('read');
  });

  it('takes this user out of a group it was removed from: the group stays, not active, and what it kept is read up to the removal', async () => {
    const t = await setup([group(3)]);
    t.chat.open(G);
    t.history(G, [message(G, 3)], true);
    const reads = () => t.server.sent.filter((f) => f.type === 'read');
    expect(reads()).toHaveLength(1);
    t.server.frame({
      type: 'message',
      message: groupEvent(
        4,
        { type: 'removed', members: [{ id: ME.userId, username: ME.username }] },
        'bob removed alice',
        { id: BOB, username: 'bob' },
      ),
    });
    expect(t.chat.snapshot.conversations[0]).toMatchObject({ id: G, active: false, unread: 0 });
    // The removal is the last seq it reads (the server caps a former member's read there).
    expect(reads().map((r) => r.seq)).toEqual([3, 4]);
    expect(t.chat.snapshot.notice).toBeUndefined();
  });

  it('creates a group and opens it once the server applied it', async () => {
    const t = await setup([conversation(C1, 3)]);
    const created = t.chat.createGroup('Book club', ['bob', 'carol'], 'all');
    expect(t.groupFrame()).toMatchObject({
      change: { op: 'create', name: 'Book club', members: ['bob', 'carol'], history: 'all' },
    });
    expect(t.groupFrame().conversationId).toBeUndefined();
    t.list.unshift(group(1));
    t.server.frame({
      type: 'ack',
      clientMsgId: t.groupFrame().clientMsgId,
      conversationId: G,
      seq: 1,
      serverTime: '2026-11-22T10:01:00.000Z',
    });
    await created;
    expect(t.chat.snapshot.openId).toBe(G);
    expect(t.order()).toEqual([G, C1]);
  });

  it('asks for changes of the open group, and passes a refusal on', async () => {
    const t = await setup([group(3)]);
    t.chat.open(G);
    const add = t.chat.changeGroup({ op: 'add', members: ['dave'] });
    expect(t.groupFrame()).toMatchObject({
      conversationId: G,
      change: { op: 'add', members: ['dave'] },
    });
    t.server.frame({
      type: 'error',
      code: ErrorCode.Forbidden,
      message: 'Only admins can do that',
      clientMsgId: t.groupFrame().clientMsgId,
    });
    await expect(add).rejects.toEqual(new GroupChangeError('forbidden', 'Only admins can do that'));
  });

  it('says in the open conversation why a message was refused for good', async () => {
    const t = await setup([group(3)]);
    t.chat.open(G);
    t.chat.send('still here?');
    const send = t.server.sent.find((f) => f.type === 'send');
    if (send?.type !== 'send') throw new Error('nothing sent');
    t.server.frame({
      type: 'error',
      code: ErrorCode.Forbidden,
      message: 'Not a member of this conversation',
      clientMsgId: send.clientMsgId,
    });
    expect(t.chat.snapshot.notice).toBe('Not sent: Not a member of this conversation');
    expect(t.chat.snapshot.items.at(-1)).toMatchObject({ status: 'failed' });
  });
});

describe('ChatStore: who has read an own message', () => {
  const answer = (read: boolean): MessageReceiptsAnswer => ({
    conversationId: G,
    seq: 4,
    members: [
      {
        id: BOB,
        username: 'bob',
        delivered: true,
        deliveredAt: '2026-11-22T10:00:05.000Z',
        read,
        readAt: read ? '2026-11-22T10:00:09.000Z' : null,
      },
    ],
  });

  it('shows the server answer, and asks again when a member cursor moves', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const asked: number[] = [];
    let read = false;
    const t = await setup([group(3)], (seq) => {
      asked.push(seq);
      return Promise.resolve(answer(read));
    });
    t.chat.open(G);
    t.history(G, [message(G, 3), { ...message(G, 4, ME.userId), text: 'mine' }], false);
    t.chat.showMessageInfo(4);
    expect(t.chat.snapshot.messageInfo).toEqual({ seq: 4, text: 'mine' });
    await flush();
    expect(t.chat.snapshot.messageInfo?.answer?.members[0]).toMatchObject({ read: false });

    read = true;
    t.server.frame({
      type: 'receipt',
      conversationId: G,
      userId: BOB,
      deliveredSeq: 4,
      readSeq: 4,
    });
    jest.advanceTimersByTime(300);
    await flush();
    expect(asked).toEqual([4, 4]);
    expect(t.chat.snapshot.messageInfo?.answer?.members[0]).toMatchObject({ read: true });

    t.chat.open(C1);
    expect(t.chat.snapshot.messageInfo).toBeUndefined();
  });

  it('says so when the server cannot be asked', async () => {
    const t = await setup([group(3)], () => Promise.reject(new TypeError('fetch failed')));
    t.chat.open(G);
    t.history(G, [{ ...message(G, 3, ME.userId), text: 'mine' }], false);
    t.chat.showMessageInfo(3);
    await flush();
    expect(t.chat.snapshot.messageInfo?.problem).toBe(
      'The server cannot be reached: try again when online.',
    );
  });
});

const CH = '1763900000000-dddddddddddddddddddddddddddddddd';

/** A public channel up to `lastSeq`, whose admins (all a channel lists) are `admins`. */
const channel = (
  lastSeq: number,
  admins: { id: string; username: string; deliveredSeq?: number; readSeq?: number }[],
): ConversationView => ({
  ...conversation(CH, lastSeq),
  kind: 'channel',
  title: 'Releases',
  public: true,
  memberCount: 40,
  members: admins.map((a) => ({ deliveredSeq: 0, readSeq: 0, ...a, role: 'admin' as const })),
});

const ackOf = (clientMsgId: string, seq: number) => ({
  type: 'ack' as const,
  clientMsgId,
  conversationId: CH,
  seq,
  serverTime: '2026-11-22T10:01:00.000Z',
});

describe('ChatStore: channels', () => {
  const listing = { id: CH, name: 'Releases', memberCount: 40, joined: false };

  it('creates a channel and opens it once the server made it', async () => {
    const t = await setup([conversation(C1, 3)]);
    const created = t.chat.createChannel('Releases', false);
    expect(t.groupFrame()).toMatchObject({
      change: { op: 'create-channel', name: 'Releases', public: false },
    });
    expect(t.groupFrame().conversationId).toBeUndefined();
    t.list.unshift(channel(1, [{ id: ME.userId, username: ME.username }]));
    t.server.frame(ackOf(t.groupFrame().clientMsgId, 1));
    await created;
    expect(t.chat.snapshot.openId).toBe(CH);
    expect(t.order()).toEqual([CH, C1]);
  });

  it('finds public channels by a part of their name, shows only the newest answer, and says why when it cannot', async () => {
    const t = await setup([]);
    const answers: ((found: ChannelListing[]) => void)[] = [];
    const asked: (string | undefined)[] = [];
    t.api.channels = (q) => {
      asked.push(q);
      return new Promise((resolve) => answers.push(resolve));
    };
    const first = t.chat.searchChannels('  rel ');
    expect(t.chat.snapshot.channelSearch).toEqual({ query: 'rel', searching: true });
    const second = t.chat.searchChannels('');
    expect(asked).toEqual(['rel', undefined]);
    answers[1]([listing, { ...listing, id: C2, name: 'Other', memberCount: 2 }]);
    await second;
    answers[0]([listing]);
    await first;
    expect(t.chat.snapshot.channelSearch).toEqual({
      query: '',
      searching: false,
      results: [listing, expect.objectContaining({ name: 'Other' })],
    });

    await t.chat.searchChannels('x'.repeat(65));
    expect(asked).toHaveLength(2);
    expect(t.chat.snapshot.channelSearch?.problem).toBe(
      'Search by at most 64 characters of a name.',
    );
    t.api.channels = () => Promise.reject(new TypeError('fetch failed'));
    await t.chat.searchChannels('rel');
    expect(t.chat.snapshot.channelSearch).toMatchObject({
      searching: false,
      problem: 'Searching needs a connection: try again when online.',
      results: [listing, expect.objectContaining({ name: 'Other' })],
    });
  });

  it('joins a channel from the search, reads the list again and opens the channel; the search shows it joined', async () => {
    const t = await setup([conversation(C1, 3)]);
    t.api.channels = () => Promise.resolve([listing]);
    await t.chat.searchChannels('Rel');
    const joined = t.chat.joinChannel(CH);
    expect(t.groupFrame()).toMatchObject({ conversationId: CH, change: { op: 'join' } });
    // A join stores nothing: the ack carries the channel's last seq, and the list has it now.
    t.list.unshift(channel(7, [{ id: BOB, username: 'bob' }]));
    const syncs = () => t.server.sent.filter((f) => f.type === 'sync.states').length;
    const before = syncs();
    t.server.frame(ackOf(t.groupFrame().clientMsgId, 7));
    await expect(joined).resolves.toBe(true);
    expect(t.chat.snapshot.openId).toBe(CH);
    expect(t.order()).toEqual([CH, C1]);
    expect(t.chat.snapshot.channelSearch?.results).toEqual([
      { ...listing, joined: true, memberCount: 41 },
    ]);
    // The client library syncs after a join: that brings the channel's messages.
    expect(syncs()).toBe(before + 1);
    expect(t.server.sent.at(-1)).toMatchObject({ type: 'history', conversationId: CH });
  });

  it('does not open a joined channel the list does not show (nothing posted to it yet)', async () => {
    const t = await setup([conversation(C1, 3)]);
    const joined = t.chat.joinChannel(CH);
    t.server.frame(ackOf(t.groupFrame().clientMsgId, 0));
    await expect(joined).resolves.toBe(false);
    expect(t.chat.snapshot.openId).toBeUndefined();
    expect(t.chat.openChannel(CH)).toBe(false);
  });

  it('marks own channel posts sent, never delivered or read, though another admin read them; no Info', async () => {
    const admins = [
      { id: ME.userId, username: ME.username },
      { id: BOB, username: 'bob', deliveredSeq: 5, readSeq: 5 },
    ];
    const mine = { ...message(CH, 4, ME.userId), text: 'release 1.0' };
    // The same cursors in a group would read "read".
    const asGroup = await setup([{ ...channel(5, admins), kind: 'group' }]);
    asGroup.chat.open(CH);
    asGroup.history(CH, [mine, message(CH, 5)], false);
    expect(asGroup.chat.snapshot.items[0]).toMatchObject({ seq: 4, status: 'read' });

    const t = await setup([channel(5, admins)]);
    t.chat.open(CH);
    t.history(CH, [mine, message(CH, 5)], false);
    expect(t.chat.snapshot.items.map((i) => i.status)).toEqual(['sent', undefined]);
    t.chat.showMessageInfo(4);
    expect(t.chat.snapshot.messageInfo).toBeUndefined();
  });

  it('reads the list again after a channel event, so a promotion lets this user post', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const bob = { id: BOB, username: 'bob' };
    const t = await setup([channel(3, [bob])]);
    t.chat.open(CH);
    t.list.splice(0, 1, channel(4, [bob, { id: ME.userId, username: ME.username }]));
    t.server.frame({
      type: 'message',
      message: {
        ...message(CH, 4),
        text: 'bob made alice admin',
        event: { type: 'promoted', members: [{ id: ME.userId, username: ME.username }] },
      },
    });
    expect(t.chat.snapshot.conversations[0]?.members).toHaveLength(1);
    jest.advanceTimersByTime(300);
    await flush();
    expect(t.chat.snapshot.conversations[0]?.members.map((m) => m.username)).toEqual([
      'bob',
      ME.username,
    ]);
  });

  it("reads the list again after a channel's silent change (leaving stores no event)", async () => {
    const t = await setup([channel(3, [{ id: BOB, username: 'bob' }])]);
    t.chat.open(CH);
    const left = t.chat.changeGroup({ op: 'leave' });
    expect(t.groupFrame()).toMatchObject({ conversationId: CH, change: { op: 'leave' } });
    t.list.splice(0, 1, { ...channel(3, [{ id: BOB, username: 'bob' }]), active: false });
    t.server.frame(ackOf(t.groupFrame().clientMsgId, 3));
    await left;
    expect(t.chat.snapshot.conversations[0]).toMatchObject({ id: CH, active: false });
  });
});

const DAVE = '5c8e3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c';

/** A 1:1 conversation of alice and `peer`, up to seq 1. */
const direct = (id: string, peer: { id: string; username: string }): ConversationView => {
  const base = conversation(id, 1);
  return { ...base, members: [base.members[0], { ...base.members[1], ...peer }] };
};

/** A `presence` frame from the server (a watch's snapshot, or a change). */
const presence = (users: UserPresence[], snapshot = false): PresenceFrame => ({
  type: 'presence',
  ...(snapshot ? { snapshot } : {}),
  users,
});

/** A `typing` frame: `username` types in `conversationId` (shown for TYPING_TTL_MS). */
const typingFrame = (conversationId: string, userId: string, username: string) => ({
  type: 'typing' as const,
  conversationId,
  userId,
  username,
  expiresAt: new Date(Date.now() + TYPING_TTL_MS).toISOString(),
});

describe('ChatStore: presence and typing', () => {
  const watches = (t: { server: FakeConnection }) =>
    t.server.sent.flatMap((f) => (f.type === 'presence.watch' ? [f.userIds] : []));

  it("watches the 1:1 peers of the list (not a group's members), and not again when the list only moves", async () => {
    const t = await setup([direct(C1, { id: BOB, username: 'bob' }), group(3)]);
    t.list.push(direct(C2, { id: DAVE, username: 'dave' }));
    t.chat.refresh();
    await flush();
    expect(watches(t)).toEqual([[BOB], [BOB, DAVE].sort()]);
    // A message moves C2 to the top: the same people, no new watch.
    t.server.frame({ type: 'message', message: message(C2, 2, DAVE) });
    expect(t.order()[0]).toBe(C2);
    t.chat.open(C1);
    expect(watches(t)).toHaveLength(2);
  });

  it('watches at most PRESENCE_WATCH_MAX people, the open conversation’s peer always among them', async () => {
    const n = PRESENCE_WATCH_MAX + 20;
    const ids = Array.from({ length: n }, (_, i) => {
      const hex = i.toString(16).padStart(8, '0');
      return { c: `1763900000000-${hex.repeat(4)}`, u: `${hex}-8a41-4f0e-9b1c-6f1d2e3a4b5c` };
    });
    const t = await setup(ids.map(({ c, u }, i) => direct(c, { id: u, username: `u${i}` })));
    const last = ids.at(-1)!;
    expect(watches(t).at(-1)).toHaveLength(PRESENCE_WATCH_MAX);
    expect(watches(t).at(-1)).not.toContain(last.u);
    t.chat.open(last.c);
    expect(watches(t).at(-1)).toHaveLength(PRESENCE_WATCH_MAX);
    expect(watches(t).at(-1)).toContain(last.u);
  });

  it('shows a dot for a peer online, and the header says online, last seen, or nothing when hidden', async () => {
    const t = await setup([
      direct(C1, { id: BOB, username: 'bob' }),
      direct(C2, { id: DAVE, username: 'dave' }),
    ]);
    t.server.frame(
      presence(
        [
          { userId: BOB, online: true, lastSeenAt: null },
          { userId: DAVE, online: false, lastSeenAt: '2026-11-22T09:30:00.000Z' },
        ],
        true,
      ),
    );
    expect([...t.chat.snapshot.online]).toEqual([C1]);
    t.chat.open(C1);
    expect(t.chat.snapshot.status).toBe('online');
    t.chat.open(C2);
    expect(t.chat.snapshot.status).toBe(`last seen ${seenAt('2026-11-22T09:30:00.000Z')}`);
    // Bob went offline; dave hides his (or this user's choice hides everyone's).
    t.server.frame(
      presence([
        { userId: BOB, online: false, lastSeenAt: '2026-11-22T09:31:00.000Z' },
        { userId: DAVE, online: null, lastSeenAt: null },
      ]),
    );
    expect(t.chat.snapshot.online.size).toBe(0);
    expect(t.chat.snapshot.status).toBeUndefined();
  });

  it('says who is typing in the open conversation until the signal expires or their message arrives', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = await setup([direct(C1, { id: BOB, username: 'bob' }), group(3)]);
    t.server.frame(presence([{ userId: BOB, online: true, lastSeenAt: null }], true));
    t.chat.open(C1);
    t.server.frame(typingFrame(C1, BOB, 'bob'));
    expect(t.chat.snapshot.status).toBe('bob is typing…');
    t.server.frame({ type: 'message', message: message(C1, 2) });
    expect(t.chat.snapshot.status).toBe('online');

    // In a group, every typist, until each one's signal runs out.
    t.chat.open(G);
    expect(t.chat.snapshot.status).toBeUndefined();
    t.server.frame(typingFrame(G, CAROL, 'carol'));
    jest.advanceTimersByTime(2_000);
    t.server.frame(typingFrame(G, BOB, 'bob'));
    expect(t.chat.snapshot.status).toBe('bob and carol are typing…');
    jest.advanceTimersByTime(TYPING_TTL_MS - 2_000 + 1);
    expect(t.chat.snapshot.status).toBe('bob is typing…');
    jest.advanceTimersByTime(2_000);
    expect(t.chat.snapshot.status).toBeUndefined();
  });

  it('signals typing in the open 1:1 chat or group (the library spaces the signals), never in a channel', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = await setup([
      direct(C1, { id: BOB, username: 'bob' }),
      group(3),
      channel(3, [{ id: ME.userId, username: ME.username }]),
    ]);
    const signals = () => t.server.sent.filter((f) => f.type === 'typing');
    t.chat.typing();
    expect(signals()).toEqual([]);
    t.chat.open(C1);
    t.chat.typing();
    t.chat.typing();
    t.chat.open(G);
    t.chat.typing();
    expect(signals()).toEqual([
      { type: 'typing', conversationId: C1 },
      { type: 'typing', conversationId: G },
    ]);
    t.chat.open(CH);
    t.chat.typing();
    expect(signals()).toHaveLength(2);
  });

  it('tells the server of activity when a conversation is opened (at most every few seconds)', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = await setup([direct(C1, { id: BOB, username: 'bob' }), group(3)]);
    const activity = () => t.server.sent.filter((f) => f.type === 'presence.activity').length;
    // The page's first hello was activity already (its `presence.state` said `active`).
    expect(t.server.sent.find((f) => f.type === 'presence.state')).toMatchObject({ active: true });
    expect(activity()).toBe(0);
    jest.advanceTimersByTime(ACTIVITY_REPORT_MIN_INTERVAL_MS);
    t.chat.open(C1);
    expect(activity()).toBe(1);
    t.chat.open(G);
    expect(activity()).toBe(1);
    t.chat.open(undefined);
    jest.advanceTimersByTime(ACTIVITY_REPORT_MIN_INTERVAL_MS);
    t.chat.open(undefined);
    expect(activity()).toBe(1);
  });

  it('saves who sees one online (the server pushes what flipped: no new watch); a refusal keeps the choice before', async () => {
    const t = await setup([direct(C1, { id: BOB, username: 'bob' })]);
    await t.chat.loadSettings();
    expect(t.chat.snapshot.settings).toMatchObject({ presence: 'everyone', saving: false });
    const saved = t.chat.setPresence('contacts');
    expect(t.chat.snapshot.settings).toMatchObject({ presence: 'contacts', saving: true });
    await saved;
    expect(t.chat.snapshot.settings).toEqual({
      readReceipts: true,
      presence: 'contacts',
      saving: false,
    });
    expect(watches(t)).toEqual([[BOB]]);

    t.api.changeSettings = () => Promise.reject(new TypeError('fetch failed'));
    await t.chat.setPresence('nobody');
    expect(t.chat.snapshot.settings).toEqual({
      readReceipts: true,
      presence: 'contacts',
      saving: false,
      problem: 'Settings need a connection: try again when online.',
    });
    expect(watches(t)).toHaveLength(1);
  });
});

describe('ChatStore: image uploads', () => {
  const IMAGE: MessageImage = FIXTURE_IMAGE;
  /** A JPEG by its first bytes, `size` bytes long, named as a picked file is. */
  const photo = (size = 1000, name?: string): Blob => {
    const bytes = new Uint8Array(size).fill(1);
    bytes.set([0xff, 0xd8, 0xff, 0xe0]);
    const blob = new Blob([bytes]);
    return name ? Object.assign(blob, { name }) : blob;
  };

  /** Uploads the test answers: each call's progress callback and its outcome, by hand. */
  function uploads(t: Awaited<ReturnType<typeof setup>>) {
    const calls: {
      bytes: Uint8Array;
      progress: (sent: number, total: number) => void;
      resolve: (image: MessageImage) => void;
      reject: (err: unknown) => void;
    }[] = [];
    t.api.uploadImage = (bytes, _type, options) =>
      new Promise((resolve, reject) => {
        calls.push({
          bytes,
          progress: (sent, total) => options?.onProgress?.(sent, total),
          resolve,
          reject,
        });
      });
    return calls;
  }

  it('shows how far the upload got, then sends the image with its caption and clears the progress', async () => {
    const t = await setup([conversation(C1, 0)]);
    t.chat.open(C1);
    const calls = uploads(t);
    let renders = 0;
    t.chat.subscribe(() => renders++);
    const sending = t.chat.sendImage(photo(1000, 'garden.jpg'), 'our garden');
    await flush();
    expect(calls).toHaveLength(1);
    expect(calls[0].bytes).toHaveLength(1000);
    expect(t.chat.snapshot.upload).toEqual({ name: 'garden.jpg', sent: 0, total: 1000 });
    expect(t.chat.snapshot.notice).toBeUndefined();

    calls[0].progress(400, 1000);
    expect(t.chat.snapshot.upload).toEqual({ name: 'garden.jpg', sent: 400, total: 1000 });
    const before = renders;
    calls[0].progress(400, 1000); // nothing new: no render
    expect(renders).toBe(before);
    calls[0].progress(1000, 1000);
    expect(t.chat.snapshot.upload).toMatchObject({ sent: 1000, total: 1000 });

    calls[0].resolve(IMAGE);
    await expect(sending).resolves.toBe(true);
    expect(t.chat.snapshot.upload).toBeUndefined();
    expect(t.chat.snapshot.items.at(-1)).toMatchObject({ text: 'our garden', image: IMAGE });
    expect(t.server.sent.find((f) => f.type === 'send')).toMatchObject({
      conversationId: C1,
      text: 'our garden',
      image: { id: IMAGE.id },
    });
    // A late event of the finished upload does not bring the bar back.
    calls[0].progress(1000, 1000);
    expect(t.chat.snapshot.upload).toBeUndefined();
  });

  it('clears the progress when the upload is refused, and says why', async () => {
    const t = await setup([conversation(C1, 0)]);
    t.chat.open(C1);
    const calls = uploads(t);
    const sending = t.chat.sendImage(photo(), '');
    await flush();
    expect(t.chat.snapshot.upload).toEqual({ sent: 0, total: 1000 });
    calls[0].progress(500, 1000);
    calls[0].reject(new ApiError(413, 'image_too_large', 'The image is larger than 2 MB'));
    await expect(sending).resolves.toBe(false);
    expect(t.chat.snapshot.upload).toBeUndefined();
    expect(t.chat.snapshot.notice).toBe('Not sent: The image is larger than 2 MB');
    expect(t.server.sent.filter((f) => f.type === 'send')).toEqual([]);
  });

  it('shows no progress for a file that is not an image', async () => {
    const t = await setup([conversation(C1, 0)]);
    t.chat.open(C1);
    const calls = uploads(t);
    await expect(t.chat.sendImage(new Blob(['<svg/>']), '')).resolves.toBe(false);
    expect(calls).toEqual([]);
    expect(t.chat.snapshot.upload).toBeUndefined();
    expect(t.chat.snapshot.notice).toBe('Not sent: only JPEG, PNG and WebP images can be sent');
  });

  it('shows the progress in the conversation the image goes to only', async () => {
    const t = await setup([conversation(C1, 0), conversation(C2, 0)]);
    t.chat.open(C1);
    const calls = uploads(t);
    const sending = t.chat.sendImage(photo(), '');
    await flush();
    t.chat.open(C2);
    calls[0].progress(500, 1000);
    expect(t.chat.snapshot.upload).toBeUndefined();
    t.chat.open(C1);
    expect(t.chat.snapshot.upload).toEqual({ sent: 500, total: 1000 });
    calls[0].resolve(IMAGE);
    await expect(sending).resolves.toBe(true);
    expect(t.chat.snapshot.upload).toBeUndefined();
  });

  it('shows the newest of two uploads; the older one ending does not clear it', async () => {
    const t = await setup([conversation(C1, 0)]);
    t.chat.open(C1);
    const calls = uploads(t);
    const first = t.chat.sendImage(photo(1000, 'one.jpg'), '');
    await flush();
    const second = t.chat.sendImage(photo(2000, 'two.jpg'), '');
    await flush();
    expect(t.chat.snapshot.upload).toEqual({ name: 'two.jpg', sent: 0, total: 2000 });
    calls[0].progress(900, 1000);
    expect(t.chat.snapshot.upload).toEqual({ name: 'two.jpg', sent: 0, total: 2000 });
    calls[0].resolve(IMAGE);
    await expect(first).resolves.toBe(true);
    expect(t.chat.snapshot.upload).toEqual({ name: 'two.jpg', sent: 0, total: 2000 });
    calls[1].progress(2000, 2000);
    calls[1].resolve({ ...IMAGE, id: '8d0c9b1e-2f3a-4b5c-8d6e-9f0a1b2c3d4e' });
    await expect(second).resolves.toBe(true);
    expect(t.chat.snapshot.upload).toBeUndefined();
  });
});
