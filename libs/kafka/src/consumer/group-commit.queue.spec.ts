import { GroupCommitQueue, type GroupMember } from './group-commit.queue';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

describe('GroupCommitQueue', () => {
  it('writes the first batch at once and what arrives meanwhile as one later group', async () => {
    const groups: string[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const queue = new GroupCommitQueue<string, number>(async (group) => {
      groups.push(group.flatMap((g) => g.events));
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      for (const g of group) g.resolve(g.events.length);
    }, 100);
    const first = queue.submit(['a']);
    const second = queue.submit(['b', 'c']);
    const third = queue.submit(['d']);
    expect(groups).toEqual([['a']]);
    gates[0].resolve();
    await expect(first).resolves.toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([['a'], ['b', 'c', 'd']]);
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
    const blocker = queue.submit(['x']); // written alone; the next two group behind it
    const a = queue.submit(['a']);
    const b = queue.submit(['b']);
    await expect(blocker).resolves.toBe('settled before the failure');
    await expect(a).resolves.toBe('settled before the failure');
    await expect(b).rejects.toThrow('database down');
    fail = false;
    await expect(queue.submit(['c'])).resolves.toBe('ok');
  });
});
