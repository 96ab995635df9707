import { displaySafe, unsafeTextProblem } from './text';

const NAME = { multiline: false };

describe('unsafeTextProblem for names (single line)', () => {
  it('accepts names in any script, with emoji and joiners', () => {
    for (const name of ['Alice Liddell', 'Łukasz Żółć', '李小龍', 'مریم‌السادات', 'Zoë 👩‍💻']) {
      expect(unsafeTextProblem(name, NAME)).toBeUndefined();
    }
  });

  it.each([
    ['NUL', 'a\u0000b', 'must not contain control characters'],
    ['ESC sequence', '\u001b[31mAlice', 'must not contain control characters'],
    ['DEL', 'a\u007fb', 'must not contain control characters'],
    ['C1 CSI', 'a\u009b2J', 'must not contain control characters'],
    ['line break', 'Alice\nBob', 'must not contain tabs or line breaks'],
    ['tab', 'Alice\tBob', 'must not contain tabs or line breaks'],
    ['RLO', 'Alice\u202Egnp.exe', 'must not contain bidi override or isolate characters'],
    ['isolate', 'A\u2067B', 'must not contain bidi override or isolate characters'],
    ['zero-width space', 'Ali\u200Bce', 'must not contain invisible characters'],
    ['BOM', '\uFEFFAlice', 'must not contain invisible characters'],
    ['soft hyphen', 'Ali\u00ADce', 'must not contain invisible characters'],
    ['lone surrogate', 'a\ud800', 'must be valid Unicode'],
  ])('refuses %s', (_what, text, problem) => {
    expect(unsafeTextProblem(text, NAME)).toBe(problem);
  });
});

describe('displaySafe', () => {
  it('replaces every control, bidi and invisible character so nothing can act on the terminal', () => {
    const shown = displaySafe('\u001b[2JAl\u202Eice\u200B\u009b');
    expect(shown).toBe('\uFFFD[2JAl\uFFFDice\uFFFD\uFFFD');
    // eslint-disable-next-line no-control-regex -- asserting none are left
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });

  it('turns line breaks into spaces on one line and keeps them in multi-line text', () => {
    expect(displaySafe('a\nb\tc')).toBe('a b c');
    expect(displaySafe('a\nb', true)).toBe('a\nb');
  });

  it('leaves ordinary text alone', () => {
    expect(displaySafe('Zoë 👩‍💻 שלום')).toBe('Zoë 👩‍💻 שלום');
  });
});
