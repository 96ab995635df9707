import { GroupCommitQueue, type GroupMember } from './group-commit.queue';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

describe('GroupCommitQueue', () => {
  it('writes what arrives in one event-loop turn as one group, and what arrives meanwhile as the next', async () => {
    const groups: string[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const queue = new GroupCommitQueue<string, number>(async (group) => {
      groups.push(group.flatMap((g) => g.events));
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      for (const g of group) g.resolve(g.events.length);
    }, 100);
    const turn = () => new Promise((r) => setImmediate(r));
    const first = queue.submit(['a']);
    const also = queue.submit(['b']);
    expect(groups).toEqual([]); // the turn is not over yet
    await turn();
    expect(groups).toEqual([['a', 'b']]);
    const second = queue.submit(['c', 'd']);
    const third = queue.submit(['e']);
    await turn();
    expect(groups).toEqual([['a', 'b']]); // waiting for the group in flight
    gates[0].resolve();
    await expect(Promise.all([first, also])).resolves.toEqual([1, 1]);
    await turn();
    expect(groups).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
    gates[1].resolve();
    await expect(Promise.all([second, third])).resolves.toEqual([2, 1]);
  });

  it('caps a group at maxEvents, but a single larger batch still goes alone', async () => {
    const groups: string[][] = [];
    const queue = new GroupCommitQueue<string, void>((group) => {
      groups.push(group.flatMap((g) => g.events));
      for (const g of group) g.resolve();
      return Promise.resolve();
    }, 2);
    await Promise.all([
      queue.submit(['big', 'bigger', 'biggest']),
      queue.submit(['a']),
      queue.submit(['b']),
      queue.submit(['c']),
    ]);
    expect(groups).toEqual([['big', 'bigger', 'biggest'], ['a', 'b'], ['c']]);
  });

  it('rejects every member still unsettled when the write throws, and goes on', async () => {
    let fail = true;
    const queue = new GroupCommitQueue<string, string>((group: GroupMember<string, string>[]) => {
      if (fail) {
        group[0].resolve('settled before the failure');
        return Promise.reject(new Error('database down'));
      }
      for (const g of group) g.resolve('ok');
      return Promise.resolve();
    }, 100);
    const settled = queue.submit(['x']); // one group with the next two
    const a = queue.submit(['a']).catch((err: unknown) => err);
    const b = queue.submit(['b']).catch((err: unknown) => err);
    await expect(settled).resolves.toBe('settled before the failure');
    expect(await a).toEqual(new Error('database down'));
    expect(await b).toEqual(new Error('database down'));
    fail = false;
    await expect(queue.submit(['c'])).resolves.toBe('ok');
  });
});
