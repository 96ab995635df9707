import { randomBytes } from 'node:crypto';
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 hash of a record key: the Java client's `Utils.murmur2`, and what kafkajs's
 * DefaultPartitioner computes, in 32-bit integer arithmetic. kafkajs computes it through a
 * BigInt-backed Long, several allocations a byte: about 4-5 µs a key against 0.3 here, and the
 * largest single source of garbage in a gateway's message path (docs/PERFORMANCE.md). The result
 * is the same signed 32-bit value for every key (the spec checks it against kafkajs's own).
 */
export function murmur2(key: Buffer): number {
  const length = key.length;
  let h = (SEED ^ length) | 0;
  const words = length >>> 2;
  for (let i = 0; i < words; i++) {
    const at = i * 4;
    let k = key[at] | (key[at + 1] << 8) | (key[at + 2] << 16) | (key[at + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    const tail = length - rest;
    if (rest === 3) h ^= key[tail + 2] << 16;
    if (rest >= 2) h ^= key[tail + 1] << 8;
    h ^= key[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** As Kafka's clients make a hash positive (not its absolute value). */
const toPositive = (x: number): number => x & 0x7fffffff;

/**
 * kafkajs's DefaultPartitioner (Java-compatible), with the hash above and nothing built for a
 * keyed record: a record's own partition if it names one; else, with a key, murmur2 of the key's
 * UTF-8 bytes modulo the topic's partitions; else round robin over the partitions that have a
 * leader. Every Parley record is keyed by its unit of ordering, so a key lands on the partition
 * it always did: a producer with this partitioner and one with kafkajs's agree record for record.
 */
export const KeyPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    const { key } = message;
    if (key !== null && key !== undefined) {
      const bytes = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
      return toPositive(murmur2(bytes)) % numPartitions;
    }
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[toPositive(counter) % available.length].partitionId;
    return toPositive(counter) % numPartitions;
  };
};
