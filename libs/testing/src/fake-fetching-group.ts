/**
 * A kafkajs 2.2.4 ConsumerGroup whose cluster is a fake broker answering every fetch with the same
 * partitions: pure logic for the spec and benchmark of patches/kafkajs+2.2.4.patch's fetch change
 * (libs/kafka's consumer-group-fetch.patch.spec.ts, tools/bench/kafka-fetch.bench.ts). Nothing here talks to
 * Kafka.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup') as new (
  options: object,
) => FetchingGroup;

export interface FetchedBatch {
  topic: string;
  partition: number;
  messages: Array<{ offset: string }>;
  isEmpty(): boolean;
  isEmptyDueToFiltering(): boolean;
}

export interface FetchingGroup {
  fetch(nodeId: number): Promise<FetchedBatch[]>;
  [key: string]: unknown;
}

/** One partition of the fake broker's answer, with the records it brings. */
export interface PartitionAnswer {
  partition: number;
  messages: Array<{ offset: string; isControlRecord?: boolean }>;
}

export const noopKafkaLogger = {
  namespace: () => noopKafkaLogger,
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * A group assigned `partitions` of topic `t` at offset 5, whose broker answers every fetch with
 * `answer` (the partitions it names, in that order).
 */
export function fetchingGroup(partitions: readonly number[], answer: readonly PartitionAnswer[]) {
  const group = new ConsumerGroup({
    retry: { retries: 0 },
    cluster: {
      refreshMetadataIfNecessary: () => Promise.resolve(),
      findBroker: () =>
        Promise.resolve({
          fetch: () =>
            Promise.resolve({
              responses: [
                {
                  topicName: 't',
                  partitions: answer.map((a) => ({
                    partition: a.partition,
                    highWatermark: '10',
                    abortedTransactions: [],
                    preferredReadReplica: -1,
                    messages: a.messages,
                  })),
                },
              ],
            }),
        }),
    },
    groupId: 'g',
    topics: ['t'],
    logger: noopKafkaLogger,
    maxBytesPerPartition: 1024,
  });
  Object.assign(group, {
    checkForStaleAssignment() {},
    filterPartitionsByNode: (_node: number, topicPartitions: unknown) => topicPartitions,
    seekOffsets: () => Promise.resolve(),
    getActiveTopicPartitions: () => ({ t: new Set(partitions) }),
    offsetManager: {
      committedOffsets: () => ({ t: Object.fromEntries(partitions.map((p) => [p, '5'])) }),
      nextOffset: () => ({ toString: () => '5' }),
    },
  });
  (group.subscriptionState as { assigned(): unknown }).assigned = () => [
    { topic: 't', partitions: [...partitions] },
  ];
  return group;
}
