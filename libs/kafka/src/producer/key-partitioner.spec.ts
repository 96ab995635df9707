import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { KeyPartitioner, murmur2 } from './key-partitioner';

// kafkajs's own hash (BigInt-backed), the one its DefaultPartitioner and Kafka's Java client use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer | string,
) => number;

const partitions = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1,
    replicas: [1],
    isr: [1],
  }));

/** Keys of every length 0-99: random bytes, ASCII ids like Parley's, and multi-byte text. */
function sampleKeys(): Buffer[] {
  const keys: Buffer[] = [];
  for (let length = 0; length < 100; length++) {
    keys.push(randomBytes(length));
    keys.push(Buffer.from(`${1764000000000 + length}-${randomBytes(length).toString('hex')}`));
    keys.push(Buffer.from('é'.repeat(length) + 'ü'));
  }
  return keys;
}

describe('murmur2', () => {
  it('gives kafkajs\u2019s (and the Java client\u2019s) hash for every key', () => {
    for (const key of sampleKeys()) expect(murmur2(key)).toBe(kafkajsMurmur2(key));
  });

  it('matches the Java client on its documented test vectors', () => {
    // From Kafka's UtilsTest.testMurmur2 (clients/src/test/java/.../utils/UtilsTest.java).
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });
});

describe('KeyPartitioner', () => {
  it('puts every key on the partition kafkajs\u2019s DefaultPartitioner chooses', () => {
    const ours = KeyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 6, 12]) {
      const partitionMetadata = partitions(n, n > 1 ? [1] : []);
      for (const key of sampleKeys()) {
        for (const k of [key, key.toString('utf8')]) {
          const args = { topic: 't', partitionMetadata, message: { key: k, value: 'v' } };
          expect(ours(args)).toBe(theirs(args));
        }
      }
    }
  });

  it('keeps a partition the record names', () => {
    const partition = KeyPartitioner()({
      topic: 't',
      partitionMetadata: partitions(12),
      message: { key: 'k', value: 'v', partition: 7 },
    });
    expect(partition).toBe(7);
  });

  it('spreads unkeyed records round robin over the partitions with a leader', () => {
    const partitioner = KeyPartitioner();
    const partitionMetadata = partitions(4, [2]);
    const chosen = Array.from({ length: 6 }, () =>
      partitioner({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } }),
    );
    expect(new Set(chosen)).toEqual(new Set([0, 1, 3]));
    // Consecutive records go to consecutive leaders (0, 1, 3, 0, ...), from a random start.
    const order = [0, 1, 3];
    const start = order.indexOf(chosen[0]);
    expect(chosen).toEqual(chosen.map((_, i) => order[(start + i) % 3]));
  });

  it('falls back to every partition when none has a leader', () => {
    const partitioner = KeyPartitioner();
    const partitionMetadata = partitions(3, [0, 1, 2]);
    const chosen = Array.from({ length: 3 }, () =>
      partitioner({ topic: 't', partitionMetadata, message: { value: 'v' } }),
    );
    expect([...chosen].sort()).toEqual([0, 1, 2]);
  });
});
