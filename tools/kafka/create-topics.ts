/**
 * Creates Parley's topics (TOPIC_SPECS) on the broker: the broker's auto-create is off, so this is
 * the only way topics come to exist. Idempotent; grows topics that have fewer partitions than
 * specified.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 node dist/tools/kafka/create-topics.js
 *
 * Exit codes: 0 done, 1 Kafka unreachable or a topic could not be brought to its spec.
 */
import { TOPIC_SPECS } from '@parley/common/contracts/topics';
import {
  type EnsureTopicResult,
  KafkaUnreachableError,
  TopicAdmin,
  type TopicAdminOptions,
} from '@parley/kafka/admin';
import { parseBrokers } from './brokers';

export type CreateTopicsOptions = Omit<TopicAdminOptions, 'brokers'>;

/** Ensures every topic of TOPIC_SPECS exists with its partitions and retention: one result each. */
export async function ensureParleyTopics(
  brokers: string | readonly string[],
  options: CreateTopicsOptions = {},
): Promise<EnsureTopicResult[]> {
  const list = parseBrokers(brokers);
  const admin = new TopicAdmin({ clientId: 'parley-create-topics', ...options, brokers: list });
  try {
    // Each address given is a broker of the cluster: all of them registered before the topics'
    // copies are placed (a broker's port may answer before the controller lists it).
    // The copies by the cluster's size, read once here: a broker fenced for a moment (a busy
    // machine) drops out of a later reading, and would make the topics' copies fewer for good.
    const registered = await admin.waitForBrokers(list.length);
    return await admin.ensureTopics(TOPIC_SPECS, Math.max(list.length, registered.length));
  } finally {
    await admin.disconnect();
  }
}

/** As ensureParleyTopics, returning one printable line per topic (what the CLI prints). */
export async function createTopics(
  brokers: string | readonly string[],
  options: CreateTopicsOptions = {},
): Promise<string[]> {
  return (await ensureParleyTopics(brokers, options)).map(formatEnsureResult);
}

export function formatEnsureResult(r: EnsureTopicResult): string {
  switch (r.outcome) {
    case 'created':
      return `created             ${r.topic} (${r.partitions} partition${r.partitions === 1 ? '' : 's'})`;
    case 'exists':
      return `exists              ${r.topic} (${r.partitions} partition${r.partitions === 1 ? '' : 's'})`;
    case 'partitions-increased':
      return `partitions increased ${r.topic} (${r.previousPartitions ?? 0} -> ${r.partitions})`;
    case 'more-partitions-than-expected':
      return `exists (warning)    ${r.topic} has ${r.partitions} partitions, spec says ${r.expectedPartitions}; Kafka cannot remove partitions, left as is`;
  }
}

async function main(): Promise<number> {
  const brokers = parseBrokers(process.env.KAFKA_BROKERS);
  // Unset: from the cluster's size (3 copies, min.insync.replicas 2, on three brokers or more).
  const raw = process.env.KAFKA_REPLICATION_FACTOR;
  const replicationFactor = raw === undefined || raw === '' ? undefined : Number(raw);
  if (
    replicationFactor !== undefined &&
    (!Number.isInteger(replicationFactor) || replicationFactor < 1)
  ) {
    process.stderr.write('KAFKA_REPLICATION_FACTOR must be a positive integer\n');
    return 1;
  }
  try {
    for (const line of await createTopics(brokers, { replicationFactor })) {
      process.stdout.write(`${line}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof KafkaUnreachableError) {
      process.stderr.write(
        `create-topics: ${err.message}\n` +
          'Start a local broker with `bash scripts/kafka.sh start`, or set KAFKA_BROKERS.\n',
      );
    } else {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`create-topics: failed on ${brokers.join(',')}: ${message}\n`);
    }
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
