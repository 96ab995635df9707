import { focusOf } from './focus';

describe('focusOf', () => {
  it('reads focus reports, and nothing from real keys', () => {
    expect(focusOf('\u001b[I')).toBe(true);
    expect(focusOf('\u001b[O')).toBe(false);
    for (const key of ['I', 'O', '\u001b[A', '\u001b', '', undefined]) {
      expect(focusOf(key)).toBeUndefined();
    }
  });
});
