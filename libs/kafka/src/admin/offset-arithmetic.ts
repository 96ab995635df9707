/**
 * Pure offset arithmetic shared by TopicAdmin and the status tool. Kafka offsets travel as decimal
 * strings (they are 64-bit); they are parsed with BigInt and returned as numbers, which is exact
 * for any offset below 2^53.
 */

/** Kafka's "no committed offset" marker in an OffsetFetch response. */
export const NO_COMMITTED_OFFSET = -1;

export interface PartitionLag {
  partition: number;
  /** The group's committed offset (the next record it will read), or null if it never committed. */
  committed: number | null;
  /** Log start offset: the oldest record still retained. */
  start: number;
  /** Log end offset (high watermark): the offset the next produced record will get. */
  end: number;
  /** Records the group has not processed yet. */
  lag: number;
}

export interface TopicLag {
  topic: string;
  lag: number;
  partitions: PartitionLag[];
}

export function parseOffset(value: string | number): number {
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw new Error(`not a Kafka offset: "${text}"`);
  const n = BigInt(text);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`offset ${text} exceeds 2^53`);
  return Number(n);
}

/**
 * Lag of one partition.
 * - committed offset known: end - committed (never negative: a committed offset past the end,
 *   e.g. after the topic was recreated, counts as caught up; one before the log start counts
 *   only the retained records).
 * - never committed: every retained record (end - start) is counted as unread, the worst case
 *   for a group that starts from the beginning. Kafka's ConsumerGroupCommand prints "-" here.
 */
export function partitionLag(committed: number | null, start: number, end: number): number {
  if (end < start) throw new Error(`log end offset ${end} is below log start offset ${start}`);
  if (committed === null || committed === NO_COMMITTED_OFFSET) return end - start;
  if (committed < 0) throw new Error(`invalid committed offset ${committed}`);
  const from = Math.max(committed, start);
  return Math.max(0, end - from);
}

export interface RawPartitionOffsets {
  partition: number;
  /** From fetchTopicOffsets: low = log start offset, high = log end offset. */
  low: string;
  high: string;
}

export interface RawCommittedOffset {
  partition: number;
  /** From fetchOffsets: "-1" when the group has no committed offset for the partition. */
  offset: string;
}

/** Joins a topic's end offsets with a group's committed offsets (partitions sorted ascending). */
export function topicLag(
  topic: string,
  ends: readonly RawPartitionOffsets[],
  committed: readonly RawCommittedOffset[],
): TopicLag {
  const byPartition = new Map(committed.map((c) => [c.partition, parseOffset(c.offset)]));
  const partitions = [...ends]
    .sort((a, b) => a.partition - b.partition)
    .map((e): PartitionLag => {
      const raw = byPartition.get(e.partition);
      const c = raw === undefined || raw === NO_COMMITTED_OFFSET ? null : raw;
      const start = parseOffset(e.low);
      const end = parseOffset(e.high);
      return { partition: e.partition, committed: c, start, end, lag: partitionLag(c, start, end) };
    });
  return { topic, lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

export function totalLag(topics: readonly TopicLag[]): number {
  return topics.reduce((sum, t) => sum + t.lag, 0);
}
