import type { ConversationEvent, ConversationView, DeliveredMessage } from '@parley/protocol';
import { applyConversationEvent } from './group-view';

const C = '1763900000000-cccccccccccccccccccccccccccccccc';
const user = (n: number, username: string) => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  username,
});
const ALICE = user(1, 'alice');
const BOB = user(2, 'bob');
const CAROL = user(3, 'carol');
const DAVE = user(4, 'dave');

const group = (lastSeq = 1): ConversationView => ({
  id: C,
  kind: 'group',
  title: 'Book club',
  public: false,
  memberCount: 3,
  history: 'joined',
  active: true,
  fromSeq: 1,
  members: [
    { ...ALICE, role: 'admin', deliveredSeq: 1, readSeq: 1 },
    { ...BOB, role: 'member', deliveredSeq: 1, readSeq: 1 },
    { ...CAROL, role: 'member', deliveredSeq: 1, readSeq: 0 },
  ],
  lastMessage: null,
  lastSeq,
  readSeq: lastSeq,
  unread: 0,
});

const eventBy = (
  by: { id: string; username: string },
  seq: number,
  event: ConversationEvent,
): DeliveredMessage => ({
  conversationId: C,
  seq,
  senderId: by.id,
  senderUsername: by.username,
  clientMsgId: `g-${seq}`,
  text: 'an event',
  serverTime: '2026-11-24T10:00:00.000Z',
  event,
});

const roles = (view: ConversationView) => view.members.map((m) => `${m.username}:${m.role}`);

describe('applyConversationEvent', () => {
  it('adds members at the end (once each), as members with cursors not known yet', () => {
    const view = applyConversationEvent(
      group(),
      eventBy(ALICE, 2, { type: 'added', members: [DAVE, BOB] }),
      BOB.id,
    );
    expect(roles(view)).toEqual(['alice:admin', 'bob:member', 'carol:member', 'dave:member']);
    expect(view.members[3]).toMatchObject({ deliveredSeq: 0, readSeq: 0 });
    expect(view.memberCount).toBe(4);
  });

  it('removes members and leaves, promoting the successor the event names', () => {
    const removed = applyConversationEvent(
      group(),
      eventBy(ALICE, 2, { type: 'removed', members: [CAROL] }),
      BOB.id,
    );
    expect(roles(removed)).toEqual(['alice:admin', 'bob:member']);
    expect(removed.active).toBe(true);
    const left = applyConversationEvent(
      { ...removed, lastSeq: 2 },
      eventBy(ALICE, 3, { type: 'left', promoted: BOB }),
      BOB.id,
    );
    expect(roles(left)).toEqual(['bob:admin']);
    expect(left.memberCount).toBe(1);
  });

  it('ends the viewer membership when it is removed or leaves, and starts it again when added', () => {
    const removed = applyConversationEvent(
      group(),
      eventBy(ALICE, 2, { type: 'removed', members: [CAROL] }),
      CAROL.id,
    );
    expect(removed.active).toBe(false);
    const readded = applyConversationEvent(
      { ...removed, lastSeq: 2 },
      eventBy(ALICE, 3, { type: 'added', members: [CAROL] }),
      CAROL.id,
    );
    expect(readded.active).toBe(true);
    const left = applyConversationEvent(group(), eventBy(BOB, 2, { type: 'left' }), BOB.id);
    expect(left.active).toBe(false);
  });

  it('follows promotions, demotions, renames and the history setting', () => {
    let view = group();
    const events: [typeof ALICE, ConversationEvent][] = [
      [ALICE, { type: 'promoted', members: [BOB] }],
      [BOB, { type: 'demoted', members: [ALICE] }],
      [BOB, { type: 'renamed', name: 'Readers' }],
      [BOB, { type: 'history', history: 'all' }],
    ];
    for (const [i, [by, event]] of events.entries()) {
      view = applyConversationEvent(view, eventBy(by, i + 2, event), ALICE.id);
      view = { ...view, lastSeq: i + 2 };
    }
    expect(roles(view)).toEqual(['alice:member', 'bob:admin', 'carol:member']);
    expect(view).toMatchObject({ title: 'Readers', history: 'all' });
  });

  it('takes a group as created: the creator its admin, the name and the history setting', () => {
    const view = applyConversationEvent(
      { ...group(0), title: null, history: null, members: [] },
      eventBy(ALICE, 1, { type: 'created', name: 'Cooks', members: [BOB], history: 'all' }),
      BOB.id,
    );
    expect(roles(view)).toEqual(['alice:admin', 'bob:member']);
    expect(view).toMatchObject({ title: 'Cooks', history: 'all' });
  });

  it('takes only the name from a channel (it lists its admins, not its members)', () => {
    const channel = { ...group(), kind: 'channel' };
    const renamed = applyConversationEvent(
      channel,
      eventBy(ALICE, 2, { type: 'renamed', name: 'News' }),
      BOB.id,
    );
    expect(renamed.title).toBe('News');
    const promoted = eventBy(ALICE, 2, { type: 'promoted', members: [BOB] });
    expect(applyConversationEvent(channel, promoted, BOB.id)).toBe(channel);
  });

  it('changes nothing for a message, an event the entry already reflects, or another conversation', () => {
    const view = group(5);
    const plain = { ...eventBy(ALICE, 6, { type: 'renamed', name: 'x' }), event: undefined };
    expect(applyConversationEvent(view, plain, BOB.id)).toBe(view);
    const old = eventBy(ALICE, 5, { type: 'removed', members: [BOB] });
    expect(applyConversationEvent(view, old, BOB.id)).toBe(view);
    const elsewhere = {
      ...eventBy(ALICE, 6, { type: 'renamed', name: 'x' }),
      conversationId: '1763900000000-dddddddddddddddddddddddddddddddd',
    };
    expect(applyConversationEvent(view, elsewhere, BOB.id)).toBe(view);
  });
});
