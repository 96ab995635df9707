import { PresenceBook, presenceLine, typingLine } from './presence-book';

const C = '1763900000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const typing = (userId: string, username: string, expiresAt: number) => ({
  type: 'typing' as const,
  conversationId: C,
  userId,
  username,
  expiresAt: new Date(expiresAt).toISOString(),
});

describe('PresenceBook', () => {
  it('answers only what changed', () => {
    const book = new PresenceBook();
    const bob = { userId: 'b', online: true, lastSeenAt: null };
    expect(book.apply([bob])).toEqual([bob]);
    expect(book.apply([bob])).toEqual([]);
    expect(book.apply([{ ...bob, online: false }])).toEqual([{ ...bob, online: false }]);
  });

  it('keeps several typists per conversation, sorted, dropping expired and late signals', () => {
    const book = new PresenceBook();
    expect(book.typingStarted(typing('c', 'carol', 2000), 1000)).toBe(true);
    expect(book.typingStarted(typing('b', 'bob', 5000), 1000)).toBe(true);
    expect(book.typingStarted(typing('d', 'dave', 900), 1000)).toBe(false);
    expect(book.typingIn(C, 1000).map((t) => t.username)).toEqual(['bob', 'carol']);
    expect(book.nextExpiry()).toBe(2000);
    expect(book.expire(2000)).toEqual([C]);
    expect(book.typingIn(C, 2000).map((t) => t.username)).toEqual(['bob']);
    expect(book.typingStopped(C, 'b')).toBe(true);
    expect(book.nextExpiry()).toBeUndefined();
  });
});

describe('presenceLine and typingLine', () => {
  const time = (iso: string) => iso.slice(11, 16);
  it('says online, last seen, or nothing when hidden or unknown', () => {
    expect(presenceLine({ userId: 'b', online: true, lastSeenAt: null }, time)).toBe('online');
    expect(
      presenceLine({ userId: 'b', online: false, lastSeenAt: '2026-11-24T09:12:03.000Z' }, time),
    ).toBe('last seen 09:12');
    expect(presenceLine({ userId: 'b', online: null, lastSeenAt: null }, time)).toBeNull();
    expect(presenceLine(undefined, time)).toBeNull();
  });

  it('names one or two typists, and counts more', () => {
    const t = (username: string) => ({ userId: username, username, expiresAt: 0 });
    expect(typingLine([])).toBeNull();
    expect(typingLine([t('bob')])).toBe('bob is typing…');
    expect(typingLine([t('bob'), t('carol')])).toBe('bob and carol are typing…');
    expect(typingLine([t('a'), t('b'), t('c')])).toBe('3 people are typing…');
  });
});
