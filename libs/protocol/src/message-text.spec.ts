import { messageTextProblem } from './text';

describe('message text', () => {
  it('accepts ordinary text', () => {
    expect(messageTextProblem('hello', 10)).toBeUndefined();
  });

  it('refuses empty and whitespace-only text', () => {
    expect(messageTextProblem('', 10)).toBe('must not be empty');
    expect(messageTextProblem(' \n\t', 10)).toBe('must not be empty');
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    const emoji = '😀'.repeat(10); // 20 UTF-16 units, 10 code points
    expect(messageTextProblem(emoji, 10)).toBeUndefined();
    expect(messageTextProblem(emoji + 'x', 10)).toBe('must be at most 10 characters');
  });

  it('refuses lone surrogates and NUL', () => {
    expect(messageTextProblem('a\ud800b', 10)).toBe('must be valid Unicode');
    expect(messageTextProblem('a\udc00', 10)).toBe('must be valid Unicode');
    expect(messageTextProblem('a\u0000b', 10)).toBe('must not contain NUL characters');
  });
});

describe('message text: characters that act on other text', () => {
  it('keeps line breaks, tabs, emoji sequences, direction marks and right-to-left text', () => {
    for (const text of [
      'line 1\nline 2\r\n\tindented',
      '👨‍👩‍👧 family (zero-width joiners)',
      'שלום עולם',
      'می‌خواهم (zero-width non-joiner)',
      'mixed \u200F mark',
    ]) {
      expect(messageTextProblem(text, 100)).toBeUndefined();
    }
  });

  it('refuses terminal escape sequences and other control characters', () => {
    expect(messageTextProblem('\u001b[2J\u001b[31mred', 100)).toBe(
      'must not contain control characters',
    );
    expect(messageTextProblem('bell\u0007', 100)).toBe('must not contain control characters');
    expect(messageTextProblem('c1 csi \u009b31m', 100)).toBe('must not contain control characters');
  });

  it('refuses bidi overrides and isolates ("Trojan Source")', () => {
    for (const c of [
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ]) {
      expect(messageTextProblem(`abc${c}def`, 100)).toBe(
        'must not contain bidi override or isolate characters',
      );
    }
  });
});
