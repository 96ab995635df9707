import { urlString } from './url';

describe('urlString', () => {
  it('accepts what `new URL()` accepts and keeps it exactly as written', () => {
    for (const url of [
      'wss://Chat.Example.ORG/ws',
      'ws://127.0.0.1:3001/ws',
      'postgres://user:p%40ss@db:5432/parley',
      'redis://127.0.0.1:6379/0',
      'http://host:80',
    ]) {
      expect(urlString().parse(url)).toBe(url);
    }
  });

  it('refuses anything else, with its message', () => {
    for (const bad of ['', 'nohost', '127.0.0.1:9092', 'ws://', '/ws']) {
      expect(
        urlString()
          .safeParse(bad)
          .error?.issues.map((i) => i.message),
      ).toEqual(['Invalid url']);
    }
    expect(urlString('must be a URL').safeParse('x').error?.issues[0].message).toBe(
      'must be a URL',
    );
  });
});
