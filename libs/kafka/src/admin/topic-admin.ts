import { Kafka, logLevel, type Admin } from 'kafkajs';
import { type RawCommittedOffset, type TopicLag, topicLag, totalLag } from './offset-arithmetic';
import { type DesiredTopic, planTopics } from './topic-plan';

export interface TopicAdminOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Replication factor for topics it creates (1 on a single-node broker). */
  replicationFactor?: number;
  /** Per-connection timeout; kept short so tools fail fast when the broker is down. */
  connectionTimeoutMs?: number;
  /** Retries of each admin request (kafkajs backoff) before giving up. */
  retries?: number;
  /** Let kafkajs log (warnings and errors) to the console; silent by default, errors are thrown. */
  verbose?: boolean;
}

export type EnsureTopicOutcome =
  | 'created'
  | 'exists'
  | 'partitions-increased'
  /** Kafka cannot remove partitions; reported, left as is. */
  | 'more-partitions-than-expected';

export interface EnsureTopicResult {
  topic: string;
  outcome: EnsureTopicOutcome;
  expectedPartitions: number;
  /** Before the call (null: the topic did not exist). */
  previousPartitions: number | null;
  /** After the call. */
  partitions: number;
}

export interface PartitionOffsets {
  partition: number;
  /** Log start offset (oldest retained record). */
  start: number;
  /** Log end offset (high watermark). */
  end: number;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffsets[];
  /** Records currently retained: sum of end - start. */
  retained: number;
}

export interface GroupLag {
  groupId: string;
  /** Coordinator state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, ... */
  state: string;
  members: number;
  lag: number;
  topics: TopicLag[];
}

export interface GroupSummary {
  groupId: string;
  protocolType: string;
}

/** Thrown when no broker answers: the message names the brokers tried and how to start one. */
export class KafkaUnreachableError extends Error {
  constructor(
    readonly brokers: readonly string[],
    readonly reason: string,
  ) {
    super(`Kafka is not reachable at ${brokers.join(',')}: ${reason}`);
    this.name = 'KafkaUnreachableError';
  }
}

const INTERNAL_TOPIC = /^__/;

/**
 * Topic and consumer-group administration on top of the kafkajs admin client, with no framework:
 * used by tools/kafka/create-topics, tools/stack/stack-status, the launcher and tests.
 * Connects lazily on first use; call disconnect() when done.
 */
export class TopicAdmin {
  private readonly admin: Admin;
  private connecting: Promise<void> | undefined;
  private readonly replicationFactor: number;

  constructor(private readonly options: TopicAdminOptions) {
    if (options.brokers.length === 0) throw new Error('TopicAdmin needs at least one broker');
    this.replicationFactor = options.replicationFactor ?? 1;
    const kafka = new Kafka({
      clientId: options.clientId ?? 'parley-topic-admin',
      brokers: [...options.brokers],
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      retry: { retries: options.retries ?? 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: options.verbose ? logLevel.WARN : logLevel.NOTHING,
    });
    this.admin = kafka.admin();
  }

  /**
   * Makes the broker match `desired`: creates missing topics (explicit partitions, the configured
   * replication factor, retention.ms where set) and adds partitions to topics that have fewer.
   * Safe to run concurrently with another creator (a lost creation race reads back as "exists").
   */
  async ensureTopics(desired: readonly DesiredTopic[]): Promise<EnsureTopicResult[]> {
    const admin = await this.connected();
    const before = await this.partitionCounts(desired.map((d) => d.name));
    const plan = planTopics(desired, before);
    const byName = new Map(desired.map((d) => [d.name, d]));

    const toCreate = plan.filter((s) => s.action === 'create');
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((s) => {
          const retentionMs = byName.get(s.topic)?.retentionMs;
          return {
            topic: s.topic,
            numPartitions: s.expectedPartitions,
            replicationFactor: this.replicationFactor,
            configEntries:
              retentionMs === undefined
                ? []
                : [{ name: 'retention.ms', value: String(retentionMs) }],
          };
        }),
      });
    }
    const toGrow = plan.filter((s) => s.action === 'increase-partitions');
    if (toGrow.length > 0) {
      await admin.createPartitions({
        topicPartitions: toGrow.map((s) => ({ topic: s.topic, count: s.expectedPartitions })),
      });
    }

    const after = await this.partitionCounts(desired.map((d) => d.name));
    return plan.map((s): EnsureTopicResult => {
      const partitions = after.get(s.topic) ?? 0;
      const outcome: EnsureTopicOutcome =
        s.action === 'create'
          ? 'created'
          : s.action === 'increase-partitions'
            ? 'partitions-increased'
            : s.action === 'more-partitions'
              ? 'more-partitions-than-expected'
              : 'exists';
      if (partitions < s.expectedPartitions) {
        throw new Error(
          `topic ${s.topic} has ${partitions} partitions after ensureTopics, expected ${s.expectedPartitions}`,
        );
      }
      return {
        topic: s.topic,
        outcome,
        expectedPartitions: s.expectedPartitions,
        previousPartitions: s.actualPartitions,
        partitions,
      };
    });
  }

  /** Start and end offset of every partition of the given topics (default: all non-internal). */
  async describeTopics(topics?: readonly string[]): Promise<TopicOffsets[]> {
    const admin = await this.connected();
    const names = topics ?? (await admin.listTopics()).filter((t) => !INTERNAL_TOPIC.test(t));
    return Promise.all(
      [...names].sort().map(async (topic): Promise<TopicOffsets> => {
        const raw = await admin.fetchTopicOffsets(topic);
        const lag = topicLag(topic, raw, []);
        const partitions = lag.partitions.map(({ partition, start, end }) => ({
          partition,
          start,
          end,
        }));
        return { topic, partitions, retained: lag.lag };
      }),
    );
  }

  /**
   * Committed offset, end offset and lag per partition for one consumer group. With `topics`,
   * exactly those topics are reported (partitions without a commit included); without, the topics
   * the group has committed offsets for.
   */
  async groupLag(groupId: string, topics?: readonly string[]): Promise<GroupLag> {
    const admin = await this.connected();
    if (topics !== undefined && topics.length === 0) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups.find((g) => g.groupId === groupId);
      return {
        groupId,
        state: group?.state ?? 'Unknown',
        members: group?.members.length ?? 0,
        lag: 0,
        topics: [],
      };
    }
    const [committed, described] = await Promise.all([
      admin.fetchOffsets(topics ? { groupId, topics: [...topics] } : { groupId }),
      admin.describeGroups([groupId]),
    ]);
    const committedByTopic = new Map<string, RawCommittedOffset[]>(
      committed.map((t) => [t.topic, t.partitions]),
    );
    const names = topics ?? committed.map((t) => t.topic);
    const perTopic = await Promise.all(
      [...names]
        .sort()
        .map(async (topic) =>
          topicLag(topic, await admin.fetchTopicOffsets(topic), committedByTopic.get(topic) ?? []),
        ),
    );
    const group = described.groups.find((g) => g.groupId === groupId);
    return {
      groupId,
      state: group?.state ?? 'Unknown',
      members: group?.members.length ?? 0,
      lag: totalLag(perTopic),
      topics: perTopic,
    };
  }

  /** Topic names on the broker, internal ones (__consumer_offsets, ...) left out. */
  async listTopics(): Promise<string[]> {
    const admin = await this.connected();
    return (await admin.listTopics()).filter((t) => !INTERNAL_TOPIC.test(t)).sort();
  }

  async listGroups(): Promise<GroupSummary[]> {
    const admin = await this.connected();
    const { groups } = await admin.listGroups();
    return groups
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async disconnect(): Promise<void> {
    if (this.connecting === undefined) return;
    this.connecting = undefined;
    await this.admin.disconnect();
  }

  private async connected(): Promise<Admin> {
    this.connecting ??= this.admin.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw new KafkaUnreachableError(this.options.brokers, describeError(err));
    });
    await this.connecting;
    return this.admin;
  }

  private async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return new Map();
    const { topics: meta } = await this.admin.fetchTopicMetadata({ topics: present });
    return new Map(meta.map((t) => [t.name, t.partitions.length]));
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message
    ? `${err.message} (${cause.message})`
    : err.message;
}
