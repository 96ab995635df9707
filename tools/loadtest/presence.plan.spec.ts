import { PRESENCE_WATCH_MAX } from '@parley/protocol';
import {
  checkRates,
  conversationPartners,
  mergeMaxima,
  planPresence,
  ratio,
  seedClientMsgId,
  stormUsers,
  summarizeChangesPerUser,
  typingSlot,
  usersOfWorker,
  watchedUsers,
  watchersOf,
  workerRates,
} from './presence.plan';

describe('planPresence', () => {
  it('takes a layout the protocol and the ring allow', () => {
    expect(planPresence({ users: 10_000, watch: 20, conversations: 1 })).toEqual({
      users: 10_000,
      watch: 20,
      conversations: 1,
    });
  });

  it('refuses more watched users than a socket may watch or than there are others', () => {
    expect(() =>
      planPresence({ users: 1000, watch: PRESENCE_WATCH_MAX + 1, conversations: 1 }),
    ).toThrow(/--watch/);
    expect(() => planPresence({ users: 5, watch: 5, conversations: 1 })).toThrow(
      /--watch must be 1-4/,
    );
    expect(() => planPresence({ users: 1, watch: 1, conversations: 0 })).toThrow(/--users/);
  });

  it('keeps the conversations among the watched users ahead on the ring', () => {
    expect(() => planPresence({ users: 100, watch: 4, conversations: 3 })).toThrow(
      /--conversations must be 0-2/,
    );
    // Three users: a conversation each way round would be the same pair twice.
    expect(() => planPresence({ users: 3, watch: 2, conversations: 2 })).toThrow(
      /--conversations must be 0-1/,
    );
    expect(planPresence({ users: 100, watch: 4, conversations: 0 }).conversations).toBe(0);
  });
});

describe('the ring', () => {
  const layout = planPresence({ users: 10, watch: 3, conversations: 2 });

  it('watches the next ceil(K/2) and the previous floor(K/2) users, wrapping round', () => {
    expect(watchedUsers(layout, 0)).toEqual([1, 2, 9]);
    expect(watchedUsers(layout, 9)).toEqual([0, 1, 8]);
  });

  it('has every user watched by exactly K others, the ones watchersOf names', () => {
    const watchers = new Map<number, number[]>();
    for (let u = 0; u < layout.users; u++)
      for (const w of watchedUsers(layout, u)) watchers.set(w, [...(watchers.get(w) ?? []), u]);
    for (let u = 0; u < layout.users; u++) {
      expect(watchers.get(u)?.sort((a, b) => a - b)).toEqual(
        watchersOf(layout, u).sort((a, b) => a - b),
      );
      expect(watchersOf(layout, u)).toHaveLength(3);
    }
  });

  it('makes conversations with watched users, under a key that is the same on every run', () => {
    expect(conversationPartners(layout, 9)).toEqual([0, 1]);
    for (const p of conversationPartners(layout, 4)) expect(watchedUsers(layout, 4)).toContain(p);
    expect(seedClientMsgId(17)).toBe('lt-presence-17');
    expect(seedClientMsgId(99_999)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });
});

describe('rates per worker', () => {
  it('gives each worker the users n mod W = w and the share of the rates they make', () => {
    expect([0, 1, 2].map((w) => usersOfWorker(10, 3, w))).toEqual([4, 3, 3]);
    expect(usersOfWorker(2, 4, 3)).toBe(0);
    // 1% of 10,000 users toggle per second: 100 toggles, 50 cycles (each two toggles).
    const rates = [0, 1].map((w) => workerRates(10_000, 2, w, 0.01, 100));
    expect(rates).toEqual([
      { cyclesPerSecond: 25, typingPerSecond: 50 },
      { cyclesPerSecond: 25, typingPerSecond: 50 },
    ]);
  });

  it('refuses a change rate that would toggle a user again before it came back', () => {
    const layout = planPresence({ users: 20, watch: 3, conversations: 1 });
    expect(checkRates(layout, 0.01, 5, 10)).toEqual({ cycleTurnS: 200, typingTurnS: 4 });
    expect(checkRates(layout, 0.2, 0, 10).error).toMatch(/before it is back/);
    expect(checkRates(layout, 0.2, 0, 6).error).toBeUndefined();
    expect(checkRates(planPresence({ ...layout, conversations: 0 }), 0, 1, 10).error).toMatch(
      /--conversations/,
    );
    // 20 typing slots at 10/s: each comes round every 2 s, under the server's 3 s.
    expect(checkRates(layout, 0, 10, 10).warning).toMatch(/dropped/);
  });

  it('takes typing slots user by user, then the next conversation', () => {
    expect([0, 1, 2, 3, 4, 5].map((s) => typingSlot(s, 3, 2))).toEqual([
      { position: 0, j: 0 },
      { position: 1, j: 0 },
      { position: 2, j: 0 },
      { position: 0, j: 1 },
      { position: 1, j: 1 },
      { position: 2, j: 1 },
    ]);
    expect(typingSlot(6, 3, 2)).toEqual({ position: 0, j: 0 });
  });
});

describe('the storm', () => {
  it('summarises changes per dropped user, zeros included', () => {
    const counts = new Map([
      [0, 1],
      [1, 3],
      [7, 2],
    ]);
    expect(summarizeChangesPerUser(counts, stormUsers(10, 4))).toEqual({
      users: 4,
      changed: 2,
      max: 3,
      mean: 1,
      overOne: 1,
      total: 4,
    });
    expect(stormUsers(3, 10)).toEqual([0, 1, 2]);
  });

  it("merges the workers' maxima by user, leaving out ids it does not know", () => {
    const indexOf = new Map([
      ['u0', 0],
      ['u1', 1],
    ]);
    expect(
      mergeMaxima(
        [
          { u0: 1, u1: 2 },
          { u0: 3, zz: 9 },
        ],
        indexOf,
      ),
    ).toEqual(
      new Map([
        [0, 3],
        [1, 2],
      ]),
    );
  });

  it('divides only by something', () => {
    expect(ratio(40, 2)).toBe(20);
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(1, 0)).toBeNull();
  });
});
