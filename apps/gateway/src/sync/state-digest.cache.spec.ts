import { StateDigestCache } from './state-digest.cache';

describe('StateDigestCache', () => {
  it('answers what it was given, per (conversation, seq)', () => {
    const cache = new StateDigestCache(10);
    cache.set('c', 5, 'd5');
    expect(cache.get('c', 5)).toBe('d5');
    expect(cache.get('c', 6)).toBeUndefined();
    expect(cache.get('other', 5)).toBeUndefined();
  });

  it('drops the least recently used past its bound', () => {
    const cache = new StateDigestCache(2);
    cache.set('a', 1, 'a1');
    cache.set('b', 1, 'b1');
    cache.get('a', 1);
    cache.set('c', 1, 'c1');
    expect(cache.size).toBe(2);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBe('a1');
    expect(cache.get('c', 1)).toBe('c1');
  });

  it('keeps nothing with a bound of 0', () => {
    const cache = new StateDigestCache(0);
    cache.set('a', 1, 'a1');
    expect(cache.get('a', 1)).toBeUndefined();
  });
});
