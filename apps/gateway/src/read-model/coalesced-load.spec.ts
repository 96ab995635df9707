import { CoalescedLoad } from './coalesced-load';

/** A query stand-in that answers key -> key * 10 when released, recording what each call asked. */
function fakeQuery() {
  const calls: number[][] = [];
  const pending: (() => void)[] = [];
  const failNext = { value: false };
  const run = (keys: number[]) => {
    calls.push(keys);
    const fail = failNext.value;
    failNext.value = false;
    return new Promise<Map<string, number>>((resolve, reject) =>
      pending.push(() =>
        fail
          ? reject(new Error('query failed'))
          : resolve(new Map(keys.filter((k) => k !== 404).map((k) => [String(k), k * 10]))),
      ),
    );
  };
  const releaseAll = async () => {
    while (pending.length > 0) {
      for (const release of pending.splice(0)) release();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  };
  /** Answers the query made `index`-th (0-based) and lets its callers run. */
  const release = async (index: number) => {
    pending[index]();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { run, calls, releaseAll, release, failNext };
}

describe('CoalescedLoad', () => {
  it('queries at once while fewer than maxInFlight run, and gathers the rest into one query', async () => {
    const q = fakeQuery();
    const load = new CoalescedLoad<number, number>(q.run, String, { maxInFlight: 2, maxKeys: 100 });
    const answers = Promise.all([
      load.load([1, 2]),
      load.load([3]),
      load.load([4, 5]),
      load.load([5, 6, 404]),
      load.load([]),
    ]);
    expect(q.calls).toEqual([[1, 2], [3]]);
    await q.releaseAll();
    // The three that waited went together, each key once.
    expect(q.calls).toEqual([[1, 2], [3], [4, 5, 6, 404]]);
    await expect(answers).resolves.toEqual([[10, 20], [30], [40, 50], [50, 60, undefined], []]);
  });

  it('starts a full gathering at once, whatever runs', async () => {
    const q = fakeQuery();
    const load = new CoalescedLoad<number, number>(q.run, String, { maxInFlight: 1, maxKeys: 3 });
    void load.load([1]);
    void load.load([2, 3]);
    expect(q.calls).toEqual([[1]]);
    void load.load([4]);
    expect(q.calls).toEqual([[1], [2, 3, 4]]);
    await q.releaseAll();
  });

  it('fails only the calls a failed query carried', async () => {
    const q = fakeQuery();
    const load = new CoalescedLoad<number, number>(q.run, String, { maxInFlight: 1, maxKeys: 100 });
    q.failNext.value = true;
    const first = load.load([1]);
    const second = load.load([2]);
    await q.releaseAll();
    await expect(first).rejects.toThrow('query failed');
    await expect(second).resolves.toEqual([20]);
  });

  describe('spare slot', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    /** One query at a time, and a spare slot for a gathering that waited 500 ms. */
    function spareLoad() {
      const q = fakeQuery();
      const load = new CoalescedLoad<number, number>(q.run, String, {
        maxInFlight: 1,
        maxKeys: 100,
        spareAfterMs: 500,
      });
      return { q, load };
    }

    it('starts a gathering beside a query that has run spareAfterMs, once, and no further', async () => {
      const { q, load } = spareLoad();
      const stuck = load.load([1]);
      const waiting = load.load([2]);
      jest.advanceTimersByTime(499);
      expect(q.calls).toEqual([[1]]);
      jest.advanceTimersByTime(1);
      // The first query is slow (or stalled): the waiting call goes in the spare slot.
      expect(q.calls).toEqual([[1], [2]]);
      const third = load.load([3]);
      jest.advanceTimersByTime(5_000);
      // The spare slot is taken: the next gathering waits for a query to end.
      expect(q.calls).toEqual([[1], [2]]);
      await q.releaseAll();
      expect(q.calls).toEqual([[1], [2], [3]]);
      await expect(Promise.all([stuck, waiting, third])).resolves.toEqual([[10], [20], [30]]);
    });

    it('gives the spare slot, once free, to a gathering that waited while it was taken', async () => {
      const { q, load } = spareLoad();
      void load.load([1]);
      void load.load([2]);
      jest.advanceTimersByTime(500);
      const third = load.load([3]);
      jest.advanceTimersByTime(500);
      expect(q.calls).toEqual([[1], [2]]);
      // The spare query ends while the first is still stuck: the overdue gathering takes its slot.
      await q.release(1);
      expect(q.calls).toEqual([[1], [2], [3]]);
      await q.release(2);
      await expect(third).resolves.toEqual([30]);
      await q.releaseAll();
    });

    it('leaves a gathering to its slot when a query ends before spareAfterMs', async () => {
      const { q, load } = spareLoad();
      void load.load([1]);
      const waiting = load.load([2]);
      jest.advanceTimersByTime(100);
      await q.releaseAll();
      expect(q.calls).toEqual([[1], [2]]);
      // No spare start later for a gathering that already ran.
      jest.advanceTimersByTime(1_000);
      expect(q.calls).toEqual([[1], [2]]);
      await expect(waiting).resolves.toEqual([20]);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
