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
  return { run, calls, releaseAll, failNext };
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
});
