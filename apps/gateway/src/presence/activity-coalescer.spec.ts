import { ActivityCoalescer } from './activity-coalescer';

describe('ActivityCoalescer', () => {
  it('passes the first action at once and folds the rest of the window into one, at its end, with the latest time', () => {
    const c = new ActivityCoalescer(5000);
    expect(c.note('alice', 1000)).toBe(1000);
    expect(c.note('alice', 2000)).toBeUndefined();
    expect(c.note('alice', 4000)).toBeUndefined();
    expect(c.due(5999)).toEqual([]);
    expect(c.due(6000)).toEqual([{ userId: 'alice', at: 4000 }]);
    // The folded one opened a new window: nothing more until it ends.
    expect(c.note('alice', 7000)).toBeUndefined();
    expect(c.due(11000)).toEqual([{ userId: 'alice', at: 7000 }]);
  });

  it('keeps users apart, and forgets a user idle for a whole window', () => {
    const c = new ActivityCoalescer(1000);
    expect(c.note('alice', 0)).toBe(0);
    expect(c.note('bob', 10)).toBe(10);
    expect(c.size).toBe(2);
    expect(c.due(1500)).toEqual([]);
    expect(c.size).toBe(0);
    expect(c.note('alice', 1600)).toBe(1600);
  });

  it('passes an action at once when the last one is a window old', () => {
    const c = new ActivityCoalescer(1000);
    expect(c.note('alice', 0)).toBe(0);
    expect(c.note('alice', 1000)).toBe(1000);
  });
});
