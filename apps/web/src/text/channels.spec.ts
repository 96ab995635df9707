import { ANNOUNCEMENTS_CHANNEL_ID, type ConversationView } from '@parley/protocol';
import { adminsText, channelQuery, channelSubtitle, membersText } from './channels';

describe('the channel search', () => {
  it('asks for the trimmed text, or for every public channel when it is empty', () => {
    expect(channelQuery('  Rel ')).toEqual({ q: 'Rel' });
    expect(channelQuery('   ')).toEqual({});
    expect(channelQuery('x'.repeat(64))).toEqual({ q: 'x'.repeat(64) });
    expect(channelQuery('x'.repeat(65))).toEqual({
      problem: 'Search by at most 64 characters of a name.',
    });
  });
});

describe('channels in words', () => {
  it('counts members and admins', () => {
    expect(membersText(1)).toBe('1 member');
    expect(membersText(0)).toBe('0 members');
    expect(membersText(1204)).toBe('1,204 members');
    expect(adminsText(1, 1)).toBe('1 admin of 1 member');
    expect(adminsText(2, 30)).toBe('2 admins of 30 members');
  });

  it('says what kind of channel it is and how many follow it', () => {
    const channel = { id: '1763900000000-dddddddddddddddddddddddddddddddd', memberCount: 12 };
    const of = (parts: Partial<ConversationView>) =>
      channelSubtitle({ ...channel, public: true, ...parts } as ConversationView);
    expect(of({})).toBe('Public channel · 12 members');
    expect(of({ public: false, memberCount: 1 })).toBe('Private channel · 1 member');
    expect(of({ id: ANNOUNCEMENTS_CHANNEL_ID, public: false })).toBe('Announcements · 12 members');
  });
});
