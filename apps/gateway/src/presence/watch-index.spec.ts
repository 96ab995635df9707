import { WatchIndex } from './watch-index';

const watched = (entries: [string, boolean][]) => new Map(entries);

describe('WatchIndex', () => {
  it('hears a user while any socket here may see them, and only those', () => {
    const index = new WatchIndex();
    expect(
      index.set(
        's1',
        watched([
          ['bob', true],
          ['carol', false],
        ]),
      ),
    ).toEqual({
      subscribe: ['bob'],
      unsubscribe: [],
    });
    // A second socket seeing bob changes no subscription.
    expect(index.set('s2', watched([['bob', true]]))).toEqual({ subscribe: [], unsubscribe: [] });
    expect([...index.socketsSeeing('bob')].sort()).toEqual(['s1', 's2']);
    expect([...index.socketsSeeing('carol')]).toEqual([]);
    expect(index.heard()).toEqual(['bob']);

    // s1 stops watching bob: s2 still sees him.
    expect(index.set('s1', watched([['carol', true]]))).toEqual({
      subscribe: ['carol'],
      unsubscribe: [],
    });
    // s2 closes: nobody here sees bob any more.
    expect(index.drop('s2')).toEqual({ subscribe: [], unsubscribe: ['bob'] });
    expect(index.drop('s1')).toEqual({ subscribe: [], unsubscribe: ['carol'] });
    expect(index.heard()).toEqual([]);
  });

  it('follows a flip of what a socket may see', () => {
    const index = new WatchIndex();
    index.set('s1', watched([['bob', true]]));
    expect(index.set('s1', watched([['bob', false]]))).toEqual({
      subscribe: [],
      unsubscribe: ['bob'],
    });
    expect(index.watchedBy('s1')).toEqual(watched([['bob', false]]));
    expect(index.socketsWatchingAny(new Set(['bob']))).toEqual(['s1']);
    expect(index.set('s1', watched([['bob', true]]))).toEqual({
      subscribe: ['bob'],
      unsubscribe: [],
    });
  });

  it('forgets a socket that watches nobody', () => {
    const index = new WatchIndex();
    index.set('s1', watched([['bob', false]]));
    index.set('s1', new Map());
    expect(index.watchedBy('s1').size).toBe(0);
    expect(index.socketsWatchingAny(new Set(['bob']))).toEqual([]);
  });
});
