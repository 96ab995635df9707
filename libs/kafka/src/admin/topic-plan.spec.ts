import { planTopics } from './topic-plan';
import { replicationFor } from './topic-admin';

describe('planTopics', () => {
  const desired = [
    { name: 'missing', partitions: 6 },
    { name: 'same', partitions: 3 },
    { name: 'fewer', partitions: 6 },
    { name: 'more', partitions: 2 },
  ];

  it('creates missing topics, grows smaller ones and leaves the rest', () => {
    const existing = new Map([
      ['same', 3],
      ['fewer', 2],
      ['more', 4],
      ['unrelated', 1],
    ]);
    expect(planTopics(desired, existing)).toEqual([
      { topic: 'missing', action: 'create', expectedPartitions: 6, actualPartitions: null },
      { topic: 'same', action: 'none', expectedPartitions: 3, actualPartitions: 3 },
      { topic: 'fewer', action: 'increase-partitions', expectedPartitions: 6, actualPartitions: 2 },
      { topic: 'more', action: 'more-partitions', expectedPartitions: 2, actualPartitions: 4 },
    ]);
  });

  it('rejects duplicate names and non-positive partition counts', () => {
    expect(() => planTopics([desired[0], desired[0]], new Map())).toThrow('specified twice');
    expect(() => planTopics([{ name: 'x', partitions: 0 }], new Map())).toThrow('positive integer');
  });
});

describe('replicationFor', () => {
  it('keeps three copies, two in sync for a write, on three brokers or more; one on one', () => {
    expect(replicationFor(1)).toEqual({ factor: 1, minInsync: 1 });
    expect(replicationFor(2)).toEqual({ factor: 2, minInsync: 1 });
    expect(replicationFor(3)).toEqual({ factor: 3, minInsync: 2 });
    expect(replicationFor(5)).toEqual({ factor: 3, minInsync: 2 });
    expect(replicationFor(0)).toEqual({ factor: 1, minInsync: 1 });
  });
});
