import { messageTextProblem } from './message-text';

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
