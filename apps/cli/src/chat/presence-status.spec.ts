import type { Typist } from '@parley/client';
import { chatStatus, isTypingText } from './presence-status';

const typist = (username: string): Typist => ({
  userId: `id-${username}`,
  username,
  expiresAt: 0,
});

describe('chatStatus', () => {
  const now = new Date(2026, 0, 2, 12, 0);
  const today = new Date(2026, 0, 2, 9, 5).toISOString();
  const earlier = new Date(2025, 11, 31, 23, 59).toISOString();
  const bob = (online: boolean | null, lastSeenAt: string | null) => ({
    userId: 'b',
    online,
    lastSeenAt,
  });

  it('says the peer is online, or when it was last seen (a time today, a date and time before)', () => {
    expect(chatStatus([], bob(true, today), now)).toBe('online');
    expect(chatStatus([], bob(false, today), now)).toBe('last seen 09:05');
    expect(chatStatus([], bob(false, earlier), now)).toBe('last seen 2025-12-31 23:59');
  });

  it('says nothing of a peer it may not see, never saw, or has not been told of (and in a group)', () => {
    expect(chatStatus([], bob(null, null), now)).toBeUndefined();
    expect(chatStatus([], bob(false, null), now)).toBeUndefined();
    expect(chatStatus([], undefined, now)).toBeUndefined();
  });

  it('shows who is typing before the presence', () => {
    expect(chatStatus([typist('bob')], bob(true, today), now)).toBe('bob is typing…');
    expect(chatStatus([typist('alice'), typist('bob')], undefined, now)).toBe(
      'alice and bob are typing…',
    );
    expect(chatStatus([typist('a'), typist('b'), typist('c')], undefined, now)).toBe(
      '3 people are typing…',
    );
  });

  it('makes a typist’s name safe to print', () => {
    expect(chatStatus([typist('bob\u001b[2J')], undefined, now)).toBe('bob\ufffd[2J is typing…');
  });
});

describe('isTypingText', () => {
  it('is text being typed, not an empty line or a /command', () => {
    expect(isTypingText('h')).toBe(true);
    expect(isTypingText('hello there')).toBe(true);
    expect(isTypingText('')).toBe(false);
    expect(isTypingText('   ')).toBe(false);
    expect(isTypingText('/')).toBe(false);
    expect(isTypingText('/info')).toBe(false);
    expect(isTypingText('  /quit')).toBe(false);
  });
});
