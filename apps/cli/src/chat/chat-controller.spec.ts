import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DELIVERED_REPORT_DELAY_MS, ParleyClient } from '@parley/client';
import { ErrorCode } from '@parley/protocol';
import { FakeConnection, syncDoneFrame } from '@parley/testing/fake-connection';
import { FileOutboxStore } from '../outbox/file-outbox.store';
import { ChatController, describeReceipts, OFFLINE_NOTICE } from './chat-controller';
import type { ChatView } from './chat-screen';
import {
  FIXTURE_BOB as BOB,
  FIXTURE_CONVERSATION as CONV,
  FIXTURE_ME as ME,
  deliveredMessage as msg,
} from '@parley/testing/delivered-message.fixture';

const OTHER = '1763700000000-fedcba9876543210fedcba9876543210';

/**
 * A controller on the real client library over a fake connection that records frames and lets
 * the test play the server.
 */
async function setup(options: { offline?: boolean } = {}) {
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
    conversations: jest.fn().mockResolvedValue([]),
    messageReceipts: jest.fn().mockRejectedValue(new Error('not in this test')),
  };
  const outbox = new FileOutboxStore(
    join(mkdtempSync(join(tmpdir(), 'parley-chat-')), 'outbox.json'),
  );
  let view!: ChatView;
  const controller = new ChatController(
    'bob',
    { server: 'http://x', username: 'alice', userId: ME, accessToken: 'a', refreshToken: 'r' },
    api,
    new ParleyClient({ connection: server, outbox }),
    (v) => (view = v),
    () => undefined,
  );
  await controller.start();
  const sent = server.sent;
  const lines = () => view.items.map((i) => `${i.text}${i.status ? `:${i.status}` : ''}`);
  return { controller, sent, server, outbox, lines, view: () => view };
}

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
