/**
 * kafkajs 2.2.4's ConsumerGroup.fetch, as patched by patches/kafkajs+2.2.4.patch (applied on
 * `npm ci` by patch-package): a partition that brought no record in a fetch is not made a batch.
 * Pure logic with a fake cluster and broker (@parley/testing's fake-fetching-group) answering one
 * fetch; every consumer of the stack runs the real thing against the broker in the e2e and fault
 * suites.
 */
import { fetchingGroup, PartitionAnswer } from '@parley/testing/fake-fetching-group';

/** A group assigned partitions 0-3, whose broker answers the next fetch with `answer`. */
function groupAnswering(answer: PartitionAnswer[]) {
  return fetchingGroup([0, 1, 2, 3], answer);
}

describe('ConsumerGroup.fetch (patched): only partitions that brought records become batches', () => {
  it('drops the partitions that came back empty and keeps the one with records', async () => {
    const group = groupAnswering([
      { partition: 0, messages: [] },
      { partition: 1, messages: [{ offset: '5' }, { offset: '6' }] },
      { partition: 2, messages: [] },
      { partition: 3, messages: [] },
    ]);

    const batches = await group.fetch(1);

    expect(batches.map((b) => [b.partition, b.messages.map((m) => m.offset)])).toEqual([
      [1, ['5', '6']],
    ]);
  });

  it('returns no batch at all when every partition came back empty', async () => {
    const group = groupAnswering([0, 1, 2, 3].map((partition) => ({ partition, messages: [] })));

    await expect(group.fetch(1)).resolves.toEqual([]);
  });

  it('keeps a partition whose records were all filtered, so the runner still moves past them', async () => {
    const group = groupAnswering([
      { partition: 0, messages: [{ offset: '5', isControlRecord: true }] },
      { partition: 2, messages: [{ offset: '4' }] },
      { partition: 3, messages: [] },
    ]);

    const batches = await group.fetch(1);

    expect(batches.map((b) => b.partition)).toEqual([0, 2]);
    expect(batches.every((b) => b.isEmpty() && b.isEmptyDueToFiltering())).toBe(true);
  });
});
