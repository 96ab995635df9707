import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DELIVERED_REPORT_DELAY_MS, ParleyClient } from '@parley/client';
import { ErrorCode } from '@parley/protocol';
import { FakeConnection, syncDoneFrame } from '@parley/testing/fake-connection';
import { FileOutboxStore } from '../outbox/file-outbox.store';
import { ChatController, describeReceipts, OFFLINE_NOTICE } from './chat-controller';
import type { ChatView } from './chat-screen';
import { formatTime } from './message-line';
import {
  FIXTURE_BOB as BOB,
  FIXTURE_CONVERSATION as CONV,
  FIXTURE_ME as ME,
  deliveredMessage as msg,
} from '@parley/testing/delivered-message.fixture';

const OTHER = '1763700000000-fedcba9876543210fedcba9876543210';
const OTHER_USER = '00000000-0000-4000-8000-000000000003';

/**
 * A controller on the real client library over a fake connection that records frames and lets
 * the test play the server.
 */
async function setup(
  options: { offline?: boolean; group?: { kind: 'group' | 'channel'; active?: boolean } } = {},
) {
  const server = new FakeConnection({ userId: ME, username: 'alice' });
  const api = {
    openConversation: options.offline
      ? jest.fn().mockRejectedValue(new Error('offline'))
      : jest.fn().mockResolvedValue({
          id: CONV,
          kind: 'direct',
          members: [
            { id: ME, username: 'alice', deliveredSeq: 0, readSeq: 0 },
            { id: BOB, username: 'bob', deliveredSeq: 0, readSeq: 0 },
          ],
        }),
    conversations: jest.fn().mockResolvedValue(
      options.group
        ? [
            {
              id: CONV,
              kind: options.group.kind,
              title: 'club',
              active: options.group.active ?? true,
              members: [
                { id: ME, username: 'alice', role: 'admin', deliveredSeq: 0, readSeq: 0 },
                { id: BOB, username: 'bob', role: 'member', deliveredSeq: 0, readSeq: 0 },
              ],
            },
          ]
        : [],
    ),
    messageReceipts: jest.fn().mockRejectedValue(new Error('not in this test')),
    uploadImage: jest.fn().mockResolvedValue(IMAGE),
    image: jest.fn().mockResolvedValue(Uint8Array.from([1, 2, 3])),
  };
  const files = {
    read: jest.fn((path: string) =>
      path === 'cat.jpg'
        ? Promise.resolve(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))
        : path === 'notes.txt'
          ? Promise.resolve(new TextEncoder().encode('just text'))
          : Promise.reject(new Error('ENOENT')),
    ),
    write: jest.fn(() => Promise.resolve()),
  };
  const outbox = new FileOutboxStore(
    join(mkdtempSync(join(tmpdir(), 'parley-chat-')), 'outbox.json'),
  );
  let view!: ChatView;
  const controller = new ChatController(
    options.group ? { conversationId: CONV, title: 'club' } : 'bob',
    { server: 'http://x', username: 'alice', userId: ME, accessToken: 'a', refreshToken: 'r' },
    api,
    new ParleyClient({ connection: server, outbox }),
    (v) => (view = v),
    () => undefined,
    files,
  );
  await controller.start();
  const sent = server.sent;
  const lines = () => view.items.map((i) => `${i.text}${i.status ? `:${i.status}` : ''}`);
  return { controller, sent, server, outbox, lines, view: () => view, api, files };
}

const IMAGE = {
  id: '7d0c9b1e-2f3a-4b5c-8d6e-9f0a1b2c3d4e',
  width: 1280,
  height: 960,
  bytes: 180 * 1024,
  type: 'image/webp' as const,
  placeholder: 'data:image/webp;base64,UklGRg==',
};

describe('ChatController: images', () => {
  it('/image uploads the file as its format says and sends it with the caption; /save writes the latest', async () => {
    const t = await setup();
    t.server.hello();
    expect(t.controller.command('/image cat.jpg my cat')).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(t.api.uploadImage).toHaveBeenCalledWith(expect.any(Uint8Array), 'image/jpeg');
    const send = t.sent.find((f) => f.type === 'send');
    expect(send).toMatchObject({ text: 'my cat', image: { id: IMAGE.id } });
    expect(t.view().items.at(-1)).toMatchObject({ text: 'my cat', image: IMAGE });

    expect(t.controller.command('/save out.webp')).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(t.api.image).toHaveBeenCalledWith(IMAGE.id, 'display');
    expect(t.files.write).toHaveBeenCalledWith('out.webp', Uint8Array.from([1, 2, 3]));
    expect(t.view().notice).toBe('saved [image 1280x960, 180 KB] to out.webp');
  });

  it('refuses what is not a JPEG, PNG or WebP, and a missing file, uploading nothing', async () => {
    const t = await setup();
    t.server.hello();
    t.controller.command('/image notes.txt');
    await new Promise((r) => setImmediate(r));
    expect(t.view().notice).toBe('not sent: only JPEG, PNG and WebP images can be sent');
    t.controller.command('/image missing.png');
    await new Promise((r) => setImmediate(r));
    expect(t.view().notice).toBe('not sent: cannot read missing.png');
    t.controller.command('/save 2');
    await new Promise((r) => setImmediate(r));
    expect(t.view().notice).toBe('no image 2 in this chat (0 shown)');
    expect(t.api.uploadImage).not.toHaveBeenCalled();
    expect(t.sent.filter((f) => f.type === 'send')).toEqual([]);
  });
});

describe('ChatController', () => {
  it('keeps a message typed offline in the outbox, sends it on hello, and marks it sent on ack', async () => {
    const t = await setup();
    t.server.drop();
    expect(t.view().notice).toBe(OFFLINE_NOTICE);
    t.controller.send('hi bob');
    expect(t.lines()).toEqual(['hi bob:pending']);
    const [entry] = t.outbox.read();
    expect(entry).toMatchObject({ conversationId: CONV, text: 'hi bob', state: 'pending' });

    t.server.hello();
    expect(t.view().notice).toBeUndefined();
    expect(t.sent).toContainEqual({
      type: 'send',
      clientMsgId: entry.clientMsgId,
      conversationId: CONV,
      text: 'hi bob',
    });
    expect(t.sent).toContainEqual(expect.objectContaining({ type: 'sync.states', complete: true }));
    expect(t.sent).toContainEqual(
      expect.objectContaining({ type: 'history', conversationId: CONV }),
    );

    t.server.frame({ type: 'accepted', clientMsgId: entry.clientMsgId, conversationId: CONV });
    expect(t.lines()).toEqual(['hi bob:pending']);
    t.server.frame({
      type: 'ack',
      clientMsgId: entry.clientMsgId,
      conversationId: CONV,
      seq: 1,
      serverTime: '2026-01-01T00:00:01.000Z',
    });
    expect(t.lines()).toEqual(['hi bob:sent']);
    expect(t.outbox.read()).toEqual([]);
  });

  it('marks own messages delivered, then read, as the peer’s receipts arrive (never backwards)', async () => {
    const t = await setup();
    t.controller.send('one');
    t.controller.send('two');
    const [first, second] = t.outbox.read();
    t.server.frame({
      type: 'ack',
      clientMsgId: first.clientMsgId,
      conversationId: CONV,
      seq: 1,
      serverTime: '2026-01-01T00:00:01.000Z',
    });
    t.server.frame({
      type: 'ack',
      clientMsgId: second.clientMsgId,
      conversationId: CONV,
      seq: 2,
      serverTime: '2026-01-01T00:00:02.000Z',
    });
    expect(t.lines()).toEqual(['one:sent', 'two:sent']);
    const receipt = (deliveredSeq: number, readSeq: number, userId = BOB) =>
      t.server.frame({ type: 'receipt', conversationId: CONV, userId, deliveredSeq, readSeq });
    receipt(2, 0, ME); // own cursors say nothing of own messages
    expect(t.lines()).toEqual(['one:sent', 'two:sent']);
    receipt(2, 1);
    expect(t.lines()).toEqual(['one:read', 'two:delivered']);
    receipt(1, 0); // a late, older receipt
    expect(t.lines()).toEqual(['one:read', 'two:delivered']);
    receipt(2, 2);
    expect(t.lines()).toEqual(['one:read', 'two:read']);
  });

  it('follows sync rounds until they converge, reports delivered per conversation and dedupes history', async () => {
    const t = await setup();
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'setImmediate', 'nextTick'] });
    t.server.hello();
    t.server.frame({ type: 'message', message: msg(2) });
    t.server.frame({
      type: 'sync.messages',
      ref: 'sync',
      messages: [msg(1), msg(2), msg(1, { conversationId: OTHER, senderUsername: 'carol' })],
    });
    // One report per conversation for the whole window, not one per message.
    jest.advanceTimersByTime(DELIVERED_REPORT_DELAY_MS);
    jest.useRealTimers();
    expect(t.sent.filter((f) => f.type === 'delivered')).toEqual([
      { type: 'delivered', conversationId: CONV, seq: 2 },
      { type: 'delivered', conversationId: OTHER, seq: 1 },
    ]);
    t.server.frame(syncDoneFrame({ behind: [CONV] }));
    // The next round names what changed, with its state.
    const second = t.server.syncRounds.at(-1);
    expect(second?.complete).toBeUndefined();
    expect(second?.states.map((s) => ('lastSeq' in s ? [s.conversationId, s.lastSeq] : s))).toEqual(
      [
        [CONV, 2],
        [OTHER, 1],
      ],
    );
    t.server.frame({ type: 'sync.messages', ref: 'sync', messages: [msg(3)] });
    t.server.frame(syncDoneFrame({ behind: [] }));
    t.server.frame(syncDoneFrame({ converged: true, agreed: 2 }));
    t.server.frame({
      type: 'history.page',
      conversationId: CONV,
      messages: [msg(1), msg(2), msg(3)],
      hasMore: false,
    });
    expect(t.lines()).toEqual(['m1', 'm2', 'm3']);
    expect(t.server.syncRounds).toHaveLength(3);
    expect(t.sent.filter((f) => f.type === 'read').at(-1)).toEqual({
      type: 'read',
      conversationId: CONV,
      seq: 3,
    });
  });

  it('learns the conversation from the ack when it started offline', async () => {
    const t = await setup({ offline: true });
    t.controller.send('first contact');
    t.server.hello();
    const send = t.sent.find((f) => f.type === 'send');
    expect(send).toMatchObject({ to: 'bob', text: 'first contact' });
    const clientMsgId = send?.type === 'send' ? send.clientMsgId : '';
    t.server.frame({
      type: 'ack',
      clientMsgId,
      conversationId: CONV,
      seq: 5,
      serverTime: '2026-01-01T00:00:05.000Z',
    });
    expect(t.lines()).toEqual(['first contact:sent']);
    expect(t.sent).toContainEqual(
      expect.objectContaining({ type: 'history', conversationId: CONV }),
    );
  });

  it('drops a refused send from the outbox and marks it failed', async () => {
    const t = await setup();
    t.server.hello();
    t.controller.send('x'.repeat(10));
    const [entry] = t.outbox.read();
    t.server.frame({
      type: 'error',
      clientMsgId: entry.clientMsgId,
      code: ErrorCode.ValidationFailed,
      message: 'text too long',
    });
    expect(t.lines()).toEqual([`${'x'.repeat(10)}:failed`]);
    expect(t.outbox.read()).toEqual([]);
  });

  it('checks the length before sending: a text over the limit is refused at once and never queued', async () => {
    const t = await setup();
    t.server.hello();
    t.controller.send('x'.repeat(4001));
    expect(t.view().notice).toBe('not sent: the message must be at most 4000 characters');
    expect(t.sent.filter((f) => f.type === 'send')).toEqual([]);
    expect(t.outbox.read()).toEqual([]);
    expect(t.lines()).toEqual([]);
  });
});

describe('ChatController presence', () => {
  const soon = () => new Date(Date.now() + 5_000).toISOString();
  const typing = (userId = BOB, username = 'bob') =>
    ({ type: 'typing', conversationId: CONV, userId, username, expiresAt: soon() }) as const;

  it('watches the peer, and its header says online, typing…, then last seen', async () => {
    const t = await setup();
    t.server.hello();
    expect(t.sent).toContainEqual({ type: 'presence.watch', userIds: [BOB] });
    expect(t.view().status).toBeUndefined();

    t.server.frame({
      type: 'presence',
      snapshot: true,
      users: [{ userId: BOB, online: true, lastSeenAt: '2026-01-01T00:00:00.000Z' }],
    });
    expect(t.view().status).toBe('online');
    t.server.frame(typing());
    expect(t.view().status).toBe('bob is typing…');
    // Their message ends the typing.
    t.server.frame({ type: 'message', message: msg(1) });
    expect(t.view().status).toBe('online');

    const lastSeenAt = new Date().toISOString();
    t.server.frame({ type: 'presence', users: [{ userId: BOB, online: false, lastSeenAt }] });
    expect(t.view().status).toBe(`last seen ${formatTime(lastSeenAt)}`);
    // Hidden from this user: nothing is said.
    t.server.frame({ type: 'presence', users: [{ userId: BOB, online: null, lastSeenAt: null }] });
    expect(t.view().status).toBeUndefined();
    t.controller.stop();
  });

  it('watches the peer again after a reconnect', async () => {
    const t = await setup();
    t.server.hello();
    t.server.drop();
    t.server.hello();
    expect(t.sent.filter((f) => f.type === 'presence.watch')).toEqual([
      { type: 'presence.watch', userIds: [BOB] },
      { type: 'presence.watch', userIds: [BOB] },
    ]);
  });

  it('tells the peer while a message is typed (at most every few seconds), never for a /command', async () => {
    const t = await setup();
    t.server.hello();
    t.controller.input('/inf');
    t.controller.input('');
    expect(t.sent.filter((f) => f.type === 'typing')).toEqual([]);
    t.controller.input('h');
    t.controller.input('he');
    expect(t.sent.filter((f) => f.type === 'typing')).toEqual([
      { type: 'typing', conversationId: CONV },
    ]);
  });

  it('goes to the background when the terminal loses the focus, and back when it gains it', async () => {
    const t = await setup();
    t.server.hello();
    const states = () => t.sent.flatMap((f) => (f.type === 'presence.state' ? [f.state] : []));
    expect(states()).toEqual(['foreground']);
    t.controller.focus(false);
    t.controller.focus(false);
    t.controller.focus(true);
    expect(states()).toEqual(['foreground', 'background', 'foreground']);
  });

  it('in a group: shows who is typing, watches nobody, and tells the members while typing', async () => {
    const t = await setup({ group: { kind: 'group' } });
    t.server.hello();
    t.server.frame(typing(BOB, 'bob'));
    t.server.frame(typing(OTHER_USER, 'carol'));
    expect(t.view().status).toBe('bob and carol are typing…');
    expect(t.sent.filter((f) => f.type === 'presence.watch')).toEqual([]);
    t.controller.input('hi all');
    expect(t.sent.filter((f) => f.type === 'typing')).toEqual([
      { type: 'typing', conversationId: CONV },
    ]);
    t.controller.stop();
  });

  it('/members right after a membership event answers with the group as read again', async () => {
    const t = await setup({ group: { kind: 'group' } });
    t.server.hello();
    let answer!: (views: unknown) => void;
    t.api.conversations.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    const carol = { id: OTHER_USER, username: 'carol' };
    t.server.frame({
      type: 'message',
      message: msg(1, {
        senderId: ME,
        senderUsername: 'alice',
        text: 'alice added carol',
        event: { type: 'added', members: [carol] },
      }),
    });
    t.controller.command('/members');
    answer([
      {
        id: CONV,
        kind: 'group',
        title: 'club',
        active: true,
        members: [
          { id: ME, username: 'alice', role: 'admin', deliveredSeq: 0, readSeq: 0 },
          { id: BOB, username: 'bob', role: 'member', deliveredSeq: 0, readSeq: 0 },
          { ...carol, role: 'member', deliveredSeq: 0, readSeq: 0 },
        ],
      },
    ]);
    await new Promise((r) => setImmediate(r));
    expect(t.view().notice).toBe('3 members: alice (admin), bob, carol');
    t.controller.stop();
  });

  it('never signals typing in a channel, nor in a group one has left', async () => {
    for (const group of [{ kind: 'channel' as const }, { kind: 'group' as const, active: false }]) {
      const t = await setup({ group });
      t.server.hello();
      t.controller.input('hello');
      expect(t.sent.filter((f) => f.type === 'typing')).toEqual([]);
    }
  });
});

describe('describeReceipts', () => {
  it('says who read, who only received and who has not, with local times', () => {
    const at = '2026-11-24T10:02:00.000Z';
    const line = describeReceipts(
      {
        conversationId: CONV,
        seq: 3,
        members: [
          { id: BOB, username: 'bob', delivered: true, deliveredAt: at, read: true, readAt: at },
          {
            id: ME,
            username: 'carol',
            delivered: true,
            deliveredAt: null,
            read: false,
            readAt: null,
          },
          {
            id: 'x',
            username: 'dave',
            delivered: false,
            deliveredAt: null,
            read: false,
            readAt: null,
          },
        ],
      },
      new Date(at),
    );
    expect(line).toMatch(/^read by bob \S+; delivered to carol; not yet: dave$/);
    expect(describeReceipts({ conversationId: CONV, seq: 1, members: [] })).toBe(
      'nobody else can read it',
    );
  });
});
