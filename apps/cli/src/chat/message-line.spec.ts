import { renderMessageLine, sanitize, stripAnsi, wrap } from './message-line';
import type { TimelineItem } from '@parley/client';

const now = new Date(2026, 0, 2, 12, 0);
const item = (over: Partial<TimelineItem>): TimelineItem => ({
  clientMsgId: 'x',
  senderUsername: 'alice',
  own: true,
  text: 'hello',
  time: new Date(2026, 0, 2, 9, 5).toISOString(),
  ...over,
});

describe('message line', () => {
  it('renders the time, sender, text and the status mark of own messages', () => {
    expect(renderMessageLine(item({ status: 'pending' }), now)).toBe('09:05 alice: hello …');
    expect(renderMessageLine(item({ status: 'sent' }), now)).toBe('09:05 alice: hello ✓');
    expect(renderMessageLine(item({ status: 'failed', error: 'too long' }), now)).toBe(
      '09:05 alice: hello ✗ (too long)',
    );
    expect(renderMessageLine(item({ own: false, senderUsername: 'bob' }), now)).toBe(
      '09:05 bob: hello',
    );
  });

  it('shows the date for messages of another day', () => {
    const line = renderMessageLine(
      item({ time: new Date(2025, 11, 31, 23, 59).toISOString() }),
      now,
    );
    expect(line.startsWith('2025-12-31 23:59 alice')).toBe(true);
  });

  it('neutralises terminal control sequences in message text', () => {
    expect(sanitize('a\u001b[2Jb\rc\nd')).toBe('a\ufffd[2Jb\ufffdc ⏎ d');
  });

  it('defuses bidi overrides, isolates and invisible characters in anything printed', () => {
    expect(sanitize('Alice\u202Egnp.exe')).toBe('Alice\ufffdgnp.exe');
    expect(sanitize('a\u2066b\u200Bc\uFEFF')).toBe('a\ufffdb\ufffdc\ufffd');
    expect(sanitize('Zoë 👩‍💻 שלום')).toBe('Zoë 👩‍💻 שלום');
  });

  it('wraps long lines with an indent', () => {
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', '  ef', '  gh', '  ij']);
    expect(wrap('abc', 4)).toEqual(['abc']);
  });

  it('strips ANSI sequences', () => {
    expect(stripAnsi('\u001b[2J\u001b[1;1H\u001b[1mhi\u001b[0m\u001b[?1049h')).toBe('hi');
  });
});
