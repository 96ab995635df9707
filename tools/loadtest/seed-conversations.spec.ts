import { ringPartners } from './seed-conversations';

describe('ringPartners', () => {
  it('gives every user about K conversations, each pair written once', () => {
    const users = 50;
    const perUser = 10;
    const held = new Map<number, Set<number>>();
    const pairs = new Set<string>();
    for (let i = 0; i < users; i++) {
      for (const p of ringPartners(i, users, perUser)) {
        expect(p).not.toBe(i);
        const pair = [Math.min(i, p), Math.max(i, p)].join('-');
        expect(pairs.has(pair)).toBe(false);
        pairs.add(pair);
        for (const [a, b] of [
          [i, p],
          [p, i],
        ]) {
          const set = held.get(a) ?? new Set<number>();
          set.add(b);
          held.set(a, set);
        }
      }
    }
    for (let i = 0; i < users; i++) expect(held.get(i)?.size).toBe(perUser);
  });

  it('never wraps round to a partner twice when there are few users', () => {
    expect(ringPartners(0, 5, 100)).toEqual([1, 2]);
    expect(ringPartners(4, 5, 100)).toEqual([0, 1]);
  });
});
