import { linkify } from './linkify';
import { dayStarts } from './days';

describe('linkify', () => {
  it('turns http(s) URLs into links and leaves the rest as text', () => {
    expect(linkify('see https://example.org/a?b=1 now')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: ' now' },
    ]);
  });

  it('keeps sentence punctuation out of the link', () => {
    expect(linkify('go to http://x.org.')).toEqual([
      { kind: 'text', text: 'go to ' },
      { kind: 'link', text: 'http://x.org', href: 'http://x.org/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never makes a link of another scheme, and leaves markup as text', () => {
    const text = 'javascript:alert(1) data:text/html,<b>x</b> <img src=x onerror=alert(1)>';
    expect(linkify(text)).toEqual([{ kind: 'text', text }]);
  });
});

describe('dayStarts', () => {
  it('marks the first item of each local day', () => {
    const at = (d: number, h: number) => new Date(2026, 0, d, h).toISOString();
    expect([...dayStarts([at(1, 9), at(1, 23), at(2, 1), at(2, 5), at(4, 1)])]).toEqual([0, 2, 4]);
  });
});
