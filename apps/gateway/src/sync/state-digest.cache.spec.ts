import { StateDigestCache } from './state-digest.cache';

const at = (conversationId: string, seq: number, fromSeq = 1) => ({
  conversationId,
  seq,
  fromSeq,
});

describe('StateDigestCache', () => {
  it('answers what it was given, per (conversation, seq)', () => {
    const cache = new StateDigestCache(10);
    cache.set(at('c', 5), 'd5');
    expect(cache.get(at('c', 5))).toBe('d5');
    expect(cache.get(at('c', 6))).toBeUndefined();
    expect(cache.get(at('other', 5))).toBeUndefined();
  });

  it('shares an entry between first seqs whose windows are the same, not others', () => {
    const cache = new StateDigestCache(10);
    cache.set(at('c', 20, 1), 'whole');
    expect(cache.get(at('c', 20, 11))).toBe('whole');
    expect(cache.get(at('c', 20, 12))).toBeUndefined();
    cache.set(at('c', 20, 15), 'from 15');
    expect(cache.get(at('c', 20, 15))).toBe('from 15');
    expect(cache.get(at('c', 20, 1))).toBe('whole');
  });

  it('drops the least recently used past its bound', () => {
    const cache = new StateDigestCache(2);
    cache.set(at('a', 1), 'a1');
    cache.set(at('b', 1), 'b1');
    cache.get(at('a', 1));
    cache.set(at('c', 1), 'c1');
    expect(cache.size).toBe(2);
    expect(cache.get(at('b', 1))).toBeUndefined();
    expect(cache.get(at('a', 1))).toBe('a1');
    expect(cache.get(at('c', 1))).toBe('c1');
  });

  it('never drops a conversation to make room for itself', () => {
    const cache = new StateDigestCache(3);
    for (const id of ['a', 'b', 'c']) cache.set(at(id, 1), id);
    for (const id of ['a', 'b', 'c']) cache.get(at(id, 1));
    cache.set(at('d', 1), 'd');
    expect(cache.size).toBe(3);
    expect(cache.get(at('d', 1))).toBe('d');
    expect(cache.get(at('a', 1))).toBeUndefined();
    expect(['b', 'c'].map((id) => cache.get(at(id, 1)))).toEqual(['b', 'c']);
  });

  it('keeps a conversation at up to four positions, dropping its oldest first', () => {
    const cache = new StateDigestCache(10);
    for (const seq of [5, 6, 7, 8]) cache.set(at('c', seq), `d${seq}`);
    expect([5, 6, 7, 8].map((seq) => cache.get(at('c', seq)))).toEqual(['d5', 'd6', 'd7', 'd8']);
    cache.set(at('c', 9), 'd9');
    expect(cache.get(at('c', 5))).toBeUndefined();
    expect(cache.get(at('c', 9))).toBe('d9');
    expect(cache.size).toBe(4);
  });

  it('stays within its bound under churn and keeps what keeps being used', () => {
    const cache = new StateDigestCache(100);
    cache.set(at('hot', 1), 'h');
    for (let i = 0; i < 2_000; i++) {
      cache.set(at(`cold-${i}`, 1), `c${i}`);
      expect(cache.get(at('hot', 1))).toBe('h');
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.size).toBe(100);
    // The most recent cold ones are still there; the early ones went.
    expect(cache.get(at('cold-1999', 1))).toBe('c1999');
    expect(cache.get(at('cold-0', 1))).toBeUndefined();
  });

  it('keeps nothing with a bound of 0', () => {
    const cache = new StateDigestCache(0);
    cache.set(at('a', 1), 'a1');
    expect(cache.get(at('a', 1))).toBeUndefined();
  });
});
