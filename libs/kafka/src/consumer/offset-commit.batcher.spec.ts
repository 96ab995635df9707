import { OffsetCommitBatcher, type TopicOffsets } from './offset-commit.batcher';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('OffsetCommitBatcher', () => {
  it('sends commits of one turn in one request, and later ones together after it', async () => {
    const requests: TopicOffsets[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const batcher = new OffsetCommitBatcher((topics) => {
      requests.push(topics);
      const gate = deferred();
      gates.push(gate);
      return gate.promise;
    });
    const settled: string[] = [];
    const first = [
      batcher.commit('a', 0, '10'),
      batcher.commit('a', 1, '5'),
      batcher.commit('b', 0, '3'),
    ];
    first.forEach((p, i) => void p.then(() => settled.push(`first-${i}`)));
    await new Promise((r) => setImmediate(r));
    expect(requests).toEqual([
      [
        {
          topic: 'a',
          partitions: [
            { partition: 0, offset: '10' },
            { partition: 1, offset: '5' },
          ],
        },
        { topic: 'b', partitions: [{ partition: 0, offset: '3' }] },
      ],
    ]);

    // While the first request is in flight, two commits of one partition merge (highest wins).
    const later = [batcher.commit('a', 0, '12'), batcher.commit('a', 0, '11')];
    await new Promise((r) => setImmediate(r));
    expect(requests).toHaveLength(1);
    expect(settled).toEqual([]);

    gates[0].resolve();
    await Promise.all(first);
    expect(settled).toEqual(['first-0', 'first-1', 'first-2']);
    await new Promise((r) => setImmediate(r));
    expect(requests[1]).toEqual([{ topic: 'a', partitions: [{ partition: 0, offset: '12' }] }]);
    gates[1].resolve();
    await Promise.all(later);
  });

  it('rejects every commit carried by a failed request, and goes on with the next', async () => {
    let fail = true;
    const batcher = new OffsetCommitBatcher(() =>
      fail ? Promise.reject(new Error('rebalancing')) : Promise.resolve(),
    );
    const a = batcher.commit('t', 0, '1');
    const b = batcher.commit('t', 1, '1');
    await expect(a).rejects.toThrow('rebalancing');
    await expect(b).rejects.toThrow('rebalancing');
    fail = false;
    await expect(batcher.commit('t', 0, '1')).resolves.toBeUndefined();
  });

  it('settled() waits for queued and in-flight commits, including ones added meanwhile', async () => {
    const gates: ReturnType<typeof deferred>[] = [];
    const batcher = new OffsetCommitBatcher(() => {
      const gate = deferred();
      gates.push(gate);
      return gate.promise;
    });
    await expect(batcher.settled()).resolves.toBeUndefined(); // nothing to wait for
    void batcher.commit('t', 0, '1');
    let idle = false;
    void batcher.settled().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    void batcher.commit('t', 0, '2'); // queued behind the request in flight
    gates[0].resolve();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(2);
    expect(idle).toBe(false);
    gates[1].resolve();
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(true);
  });

  describe('with a minimum interval between requests', () => {
    const turn = () => new Promise((r) => setImmediate(r));
    beforeEach(() =>
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }),
    );
    afterEach(() => jest.useRealTimers());

    function recording() {
      const requests: string[][] = [];
      const batcher = new OffsetCommitBatcher((topics) => {
        requests.push(
          topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`)),
        );
        return Promise.resolve();
      }, 200);
      return { requests, batcher };
    }

    it('sends the first at once, then holds what comes within the interval for one request', async () => {
      const { requests, batcher } = recording();
      await batcher.commit('t', 0, '1');
      expect(requests).toEqual([['t/0@1']]);
      const later = [batcher.commit('t', 0, '2'), batcher.commit('t', 1, '7')];
      await turn();
      jest.advanceTimersByTime(199);
      await turn();
      expect(requests).toHaveLength(1);
      jest.advanceTimersByTime(1);
      await Promise.all(later);
      expect(requests).toEqual([['t/0@1'], ['t/0@2', 't/1@7']]);
      // A commit after a quiet spell longer than the interval goes at once again.
      jest.advanceTimersByTime(1_000);
      await batcher.commit('t', 0, '3');
      expect(requests).toHaveLength(3);
    });

    it('settled() during a request sends what comes meanwhile right after it, not after the interval', async () => {
      const gates: ReturnType<typeof deferred>[] = [];
      const requests: string[] = [];
      const batcher = new OffsetCommitBatcher((topics) => {
        requests.push(topics[0].partitions[0].offset);
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      }, 200);
      const first = batcher.commit('t', 0, '1');
      await turn();
      let idle = false;
      void batcher.settled().then(() => (idle = true));
      const second = batcher.commit('t', 0, '2'); // arrives while the first is in flight
      gates[0].resolve();
      await first;
      await turn();
      expect(requests).toEqual(['1', '2']); // no timer in between
      gates[1].resolve();
      await second;
      await turn();
      expect(idle).toBe(true);
    });

    it('settled() (closing) sends what waits for the interval at once', async () => {
      const { requests, batcher } = recording();
      await batcher.commit('t', 0, '1');
      const held = batcher.commit('t', 0, '2');
      await turn();
      expect(requests).toHaveLength(1);
      await batcher.settled();
      await held;
      expect(requests).toEqual([['t/0@1'], ['t/0@2']]);
    });
  });
});
