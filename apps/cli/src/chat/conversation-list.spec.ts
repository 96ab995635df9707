import type { ConversationView } from '@parley/protocol';
import { renderConversationLine, sortConversations } from './conversation-list';

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
});
