import { KnownSeqCache } from './known-seq.cache';

describe('KnownSeqCache', () => {
  it('covers seqs up to the highest observed, per conversation, and never moves back', () => {
    const cache = new KnownSeqCache();
    expect(cache.covers('c1', 1)).toBe(false);
    cache.observe('c1', 5);
    cache.observe('c1', 3);
    expect(cache.covers('c1', 5)).toBe(true);
    expect(cache.covers('c1', 1)).toBe(true);
    expect(cache.covers('c1', 6)).toBe(false);
    expect(cache.covers('c2', 1)).toBe(false);
  });
});
