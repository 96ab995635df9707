/** What a topic must look like: the subset of `TopicSpec` (libs/common) the admin needs. */
export interface DesiredTopic {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs?: number;
}

export type TopicPlanAction = 'create' | 'none' | 'increase-partitions' | 'more-partitions';

export interface TopicPlanStep {
  topic: string;
  action: TopicPlanAction;
  expectedPartitions: number;
  /** Partitions the topic has now; null when it does not exist. */
  actualPartitions: number | null;
}

/**
 * Decides, per desired topic, what to do given the partition counts that exist on the broker.
 * Kafka cannot shrink a topic, so more partitions than expected is reported, never "fixed"
 * (ordering per key still holds; only the key -> partition mapping differs from the spec).
 */
export function planTopics(
  desired: readonly DesiredTopic[],
  existing: ReadonlyMap<string, number>,
): TopicPlanStep[] {
  const seen = new Set<string>();
  return desired.map((d) => {
    if (seen.has(d.name)) throw new Error(`topic ${d.name} is specified twice`);
    seen.add(d.name);
    if (!Number.isInteger(d.partitions) || d.partitions < 1) {
      throw new Error(
        `topic ${d.name}: partitions must be a positive integer (got ${d.partitions})`,
      );
    }
    const actual = existing.get(d.name);
    const step = {
      topic: d.name,
      expectedPartitions: d.partitions,
      actualPartitions: actual ?? null,
    };
    if (actual === undefined) return { ...step, action: 'create' };
    if (actual < d.partitions) return { ...step, action: 'increase-partitions' };
    if (actual > d.partitions) return { ...step, action: 'more-partitions' };
    return { ...step, action: 'none' };
  });
}
