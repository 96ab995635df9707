import type { ConversationView } from '@parley/protocol';
import { PRESENCE_WATCH_MAX } from '@parley/protocol';
import {
  directPeerId,
  presencePeers,
  renderConversationLine,
  sortConversations,
} from './conversation-list';

const conv = (id: string, time: string | null, unread = 0): ConversationView => ({
  id,
  kind: 'direct',
  title: null,
  public: false,
  memberCount: 2,
  history: null,
  active: true,
  fromSeq: 1,
  members: [
    { id: 'me', username: 'alice', role: 'member', deliveredSeq: 0, readSeq: 0 },
    { id: 'b', username: id, role: 'member', deliveredSeq: 0, readSeq: 0 },
  ],
  lastMessage: time
    ? {
        conversationId: id,
        seq: 1,
        senderId: 'b',
        senderUsername: id,
        clientMsgId: 'c',
        text: `hi from ${id}`,
        serverTime: time,
      }
    : null,
  lastSeq: time ? 1 : 0,
  readSeq: 0,
  unread,
});

describe('conversation list', () => {
  it('sorts newest first, empty conversations last', () => {
    const list = [
      conv('old', '2026-01-01T00:00:00.000Z'),
      conv('none', null),
      conv('new', '2026-01-02T00:00:00.000Z'),
    ];
    expect(sortConversations(list).map((c) => c.id)).toEqual(['new', 'old', 'none']);
  });

  it('shows the peer, unread count and last message', () => {
    const now = new Date(2026, 0, 2, 12, 0);
    const time = new Date(2026, 0, 2, 9, 5).toISOString();
    expect(renderConversationLine(conv('bob', time, 2), 'me', 80, now)).toBe(
      'bob  (2 unread)  09:05 bob: hi from bob',
    );
    expect(renderConversationLine(conv('bob', null), 'me')).toBe('bob  (no messages)');
    expect(renderConversationLine(conv('bob', time, 2), 'me', 10, now)).toBe('bob  (2 u…');
  });

  it('marks a 1:1 whose peer is online', () => {
    const now = new Date(2026, 0, 2, 12, 0);
    const time = new Date(2026, 0, 2, 9, 5).toISOString();
    expect(renderConversationLine(conv('bob', time, 2), 'me', 80, now, new Set(['b']))).toBe(
      'bob · online  (2 unread)  09:05 bob: hi from bob',
    );
    expect(renderConversationLine(conv('bob', null), 'me', 80, now, new Set(['x']))).toBe(
      'bob  (no messages)',
    );
    const group: ConversationView = { ...conv('club', null), kind: 'group', title: 'club' };
    expect(renderConversationLine(group, 'me', 80, now, new Set(['b']))).toBe(
      '#club  (no messages)',
    );
  });
});

describe('presence in the conversation list', () => {
  const direct = (peerId: string): ConversationView => {
    const c = conv(peerId, null);
    return { ...c, members: [c.members[0], { ...c.members[1], id: peerId }] };
  };

  it('finds the peer of a 1:1 one is in, not of groups, channels, left ones or a chat with oneself', () => {
    expect(directPeerId(direct('p1'), 'me')).toBe('p1');
    expect(directPeerId({ ...direct('p1'), kind: 'group' }, 'me')).toBeUndefined();
    expect(directPeerId({ ...direct('p1'), kind: 'channel' }, 'me')).toBeUndefined();
    expect(directPeerId({ ...direct('p1'), active: false }, 'me')).toBeUndefined();
    const self = direct('p1');
    expect(directPeerId({ ...self, members: [self.members[0]] }, 'me')).toBeUndefined();
  });

  it('asks for each peer once, the first PRESENCE_WATCH_MAX of them', () => {
    const list = [
      direct('p1'),
      { ...direct('g'), kind: 'group' as const },
      direct('p2'),
      direct('p1'),
    ];
    expect(presencePeers(list, 'me')).toEqual(['p1', 'p2']);
    const many = Array.from({ length: PRESENCE_WATCH_MAX + 5 }, (_, i) => direct(`p${i}`));
    const asked = presencePeers(many, 'me');
    expect(asked).toHaveLength(PRESENCE_WATCH_MAX);
    expect(asked.at(-1)).toBe(`p${PRESENCE_WATCH_MAX - 1}`);
  });
});
