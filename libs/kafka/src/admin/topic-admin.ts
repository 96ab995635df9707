import { type Admin, type ITopicConfig, Kafka, logLevel } from 'kafkajs';
import { type RawCommittedOffset, type TopicLag, topicLag, totalLag } from './offset-arithmetic';
import { type DesiredTopic, planTopics } from './topic-plan';

export interface TopicAdminOptions {
  brokers: readonly string[];
  clientId?: string;
  /**
   * Replication factor for topics it creates. Default: from the cluster's size, 3 when it has
   * three brokers or more, else as many as it has (1 on a single development broker).
   */
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
  private offsetCalls: Promise<void> = Promise.resolve();

  constructor(private readonly options: TopicAdminOptions) {
    if (options.brokers.length === 0) throw new Error('TopicAdmin needs at least one broker');
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
  async ensureTopics(
    desired: readonly DesiredTopic[],
    clusterSize?: number,
  ): Promise<EnsureTopicResult[]> {
    const admin = await this.connected();
    const before = await this.partitionCounts(desired.map((d) => d.name));
    const plan = planTopics(desired, before);
    const byName = new Map(desired.map((d) => [d.name, d]));

    const toCreate = plan.filter((s) => s.action === 'create');
    if (toCreate.length > 0) {
      const replication = replicationFor(
        this.options.replicationFactor ?? clusterSize ?? (await this.brokers()).length,
      );
      await this.createWhenPlaceable(
        toCreate.map((s) => {
          const retentionMs = byName.get(s.topic)?.retentionMs;
          return {
            topic: s.topic,
            numPartitions: s.expectedPartitions,
            replicationFactor: replication.factor,
            configEntries: [
              { name: 'min.insync.replicas', value: String(replication.minInsync) },
              ...(retentionMs === undefined
                ? []
                : [{ name: 'retention.ms', value: String(retentionMs) }]),
            ],
          };
        }),
      );
    }
    const toGrow = plan.filter((s) => s.action === 'increase-partitions');
    if (toGrow.length > 0) {
      await admin.createPartitions({
        topicPartitions: toGrow.map((s) => ({ topic: s.topic, count: s.expectedPartitions })),
      });
    }

    const after = await this.settledPartitionCounts(plan);
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
        const raw = await this.topicOffsets(topic);
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
          topicLag(topic, await this.topicOffsets(topic), committedByTopic.get(topic) ?? []),
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

  /** Leader, replicas and in-sync replicas of every partition of `topics`. */
  async partitionReplicas(topics: readonly string[]): Promise<PartitionReplicas[]> {
    const admin = await this.connected();
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
    return meta.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      })),
    );
  }

  /**
   * Creates the topics not there yet, and again while the cluster cannot place every copy (a
   * broker of a busy cluster fenced for a moment: INVALID_REPLICATION_FACTOR), for up to 30 s.
   * Not kafkajs' waitForLeaders: it gives up on the UNKNOWN_TOPIC_OR_PARTITION a broker answers
   * until the new metadata reaches it; ensureTopics waits for the leaders itself.
   */
  private async createWhenPlaceable(topics: readonly ITopicConfig[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const existing = new Set(await this.admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      try {
        await this.admin.createTopics({ waitForLeaders: false, topics: [...missing] });
        return;
      } catch (err) {
        if (!isProtocolError(err, 'INVALID_REPLICATION_FACTOR') || attempt >= 60) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** The node ids of the brokers the cluster has registered. */
  async brokers(): Promise<number[]> {
    const admin = await this.connected();
    return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  }

  /**
   * Waits until the cluster has registered `count` brokers and returns their node ids: a broker's
   * port may answer before the controller lists it, and topics created meanwhile would get fewer
   * copies (or be refused).
   */
  async waitForBrokers(count: number, timeoutMs = 60_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await this.brokers();
      if (seen.length >= count) return seen;
      if (Date.now() > deadline) {
        throw new Error(
          `the Kafka cluster lists ${seen.length} of ${count} brokers after ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
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

  /**
   * kafkajs' fetchTopicOffsets, one call at a time: on a cluster of several brokers, concurrent
   * calls race on the shared metadata and one may read no partitions at all and throw a TypeError
   * (kafkajs issue #461). Serialised, each refreshes what it needs first.
   */
  private topicOffsets(topic: string): ReturnType<Admin['fetchTopicOffsets']> {
    const call = this.offsetCalls.then(() => this.admin.fetchTopicOffsets(topic));
    this.offsetCalls = call.then(
      () => undefined,
      () => undefined,
    );
    return call;
  }

  private async connected(): Promise<Admin> {
    this.connecting ??= this.admin.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw new KafkaUnreachableError(this.options.brokers, describeError(err));
    });
    await this.connecting;
    return this.admin;
  }

  /**
   * The partition counts once the cluster agrees on what was just created or grown, every
   * partition with a leader: on several brokers, the one asked may not have the new metadata yet
   * (kafkajs then throws a retriable UNKNOWN_TOPIC_OR_PARTITION, or reads the old count). Asks
   * again for up to about 10 s.
   */
  private async settledPartitionCounts(
    plan: readonly { topic: string; expectedPartitions: number }[],
  ): Promise<Map<string, number>> {
    const topics = plan.map((s) => s.topic);
    for (let attempt = 1; ; attempt++) {
      try {
        const counts = await this.partitionCounts(topics, true);
        const settled = plan.every((s) => (counts.get(s.topic) ?? 0) >= s.expectedPartitions);
        if (settled || attempt >= 50) return counts;
      } catch (err) {
        if ((err as { retriable?: unknown }).retriable !== true || attempt >= 50) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Partitions per topic; with `requireLeaders`, a topic with a leaderless partition counts 0. */
  private async partitionCounts(
    topics: readonly string[],
    requireLeaders = false,
  ): Promise<Map<string, number>> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return new Map();
    const { topics: meta } = await this.admin.fetchTopicMetadata({ topics: present });
    return new Map(
      meta.map((t) => [
        t.name,
        !requireLeaders || t.partitions.every((p) => p.leader >= 0) ? t.partitions.length : 0,
      ]),
    );
  }
}

/**
 * How a topic is replicated on a cluster of `brokers` (or with that replication factor asked):
 * three copies with two in sync required for a write (acks=all) on three brokers or more, so one
 * broker may die without losing an acknowledged record or refusing writes; one copy, one in sync
 * on a single development broker.
 */
export function replicationFor(brokers: number): { factor: number; minInsync: number } {
  const factor = Math.max(1, Math.min(3, brokers));
  return { factor, minInsync: factor >= 3 ? 2 : 1 };
}

/** Replicas, in-sync replicas and leader of each partition (the cluster tests find leaders here). */
export interface PartitionReplicas {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** A kafkajs protocol error of `type`, alone or among an aggregate's (createTopics throws those). */
function isProtocolError(err: unknown, type: string): boolean {
  const e = err as { type?: unknown; errors?: unknown };
  if (e?.type === type) return true;
  return Array.isArray(e?.errors) && e.errors.some((x) => (x as { type?: unknown })?.type === type);
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message
    ? `${err.message} (${cause.message})`
    : err.message;
}
