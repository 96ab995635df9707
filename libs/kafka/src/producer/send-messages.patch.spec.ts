/**
 * kafkajs 2.2.4's sendMessages, as patched by patches/kafkajs+2.2.4.patch (applied on `npm ci`
 * by patch-package). Pure logic with a fake cluster: which partitions each attempt sends when a
 * broker dies and its partitions move to a broker that already answered the first attempt. The
 * real thing, a three-broker cluster with a broker killed under load, is test/scale-out.e2e-spec.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (
  deps: object,
) => (request: object) => Promise<Array<{ topicName: string; partition: number }>>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createRetry = require('kafkajs/src/retry') as (opts: object) => unknown;

interface ProduceCall {
  nodeId: number;
  partitions: number[];
  firstSequences: number[];
}

class ConnectionError extends Error {
  constructor() {
    super('Connection error: read ECONNRESET');
    this.name = 'KafkaJSConnectionError';
  }
}

function fakeCluster(leaders: Map<number, number>, dead: Set<number>, calls: ProduceCall[]) {
  const broker = (nodeId: number) => ({
    nodeId,
    produce({
      topicData,
    }: {
      topicData: Array<{
        topic: string;
        partitions: Array<{ partition: number; firstSequence: number }>;
      }>;
    }) {
      const partitions = topicData.flatMap((t) => t.partitions.map((p) => p.partition));
      calls.push({
        nodeId,
        partitions,
        firstSequences: topicData.flatMap((t) => t.partitions.map((p) => p.firstSequence)),
      });
      if (dead.has(nodeId)) return Promise.reject(new ConnectionError());
      return Promise.resolve({
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0 })),
        })),
      });
    },
  });
  const brokers = new Map([1, 2, 3].map((id) => [id, broker(id)]));
  return {
    targetTopics: new Set<string>(),
    async refreshMetadataIfNecessary() {},
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    removeBroker() {},
    // The controller moved the dead broker's partitions to broker 1.
    refreshMetadata() {
      for (const [partition, leader] of leaders) if (dead.has(leader)) leaders.set(partition, 1);
      return Promise.resolve();
    },
    findTopicPartitionMetadata: () =>
      [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
    findLeaderForPartitions(_topic: string, partitions: string[]) {
      const result: Record<number, number[]> = {};
      for (const id of partitions) {
        const leader = leaders.get(Number(id))!;
        (result[leader] ??= []).push(Number(id));
      }
      return result;
    },
    findBroker: ({ nodeId }: { nodeId: number }) => Promise.resolve(brokers.get(Number(nodeId))),
  };
}

function fakeEos() {
  const sequences = new Map<string, number>();
  return {
    sequences,
    isTransactional: () => false,
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
    getTransactionalId: () => undefined,
    acquireBrokerLock: () => Promise.resolve(),
    releaseBrokerLock: () => Promise.resolve(),
    getSequence: (topic: string, partition: number) => sequences.get(`${topic}|${partition}`) ?? 0,
    updateSequence: (topic: string, partition: number, by: number) =>
      sequences.set(`${topic}|${partition}`, (sequences.get(`${topic}|${partition}`) ?? 0) + by),
  };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('kafkajs sendMessages (patched): a retry after a broker died', () => {
  it('sends the moved partition to its new leader even though that broker already answered, with the same sequence', async () => {
    // Partition 0 on broker 1, partition 1 on broker 3; broker 3 dies during the first attempt.
    const leaders = new Map([
      [0, 1],
      [1, 3],
    ]);
    const calls: ProduceCall[] = [];
    const eos = fakeEos();
    const send = createSendMessages({
      logger: silent,
      cluster: fakeCluster(leaders, new Set([3]), calls),
      // Each message names its partition.
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      eosManager: eos,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    const responses = await send({
      acks: -1,
      timeout: 1000,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { key: 'a', value: '1', partition: 0 },
            { key: 'b', value: '2', partition: 1 },
            { key: 'c', value: '3', partition: 1 },
          ],
        },
      ],
    });

    // Attempt 1: both brokers; broker 3 fails. Attempt 2: only partition 1, now on broker 1
    // (upstream skipped broker 1 here, since it had answered, and dropped partition 1's records).
    expect(calls.map((c) => [c.nodeId, c.partitions])).toEqual(
      expect.arrayContaining([
        [1, [0]],
        [3, [1]],
        [1, [1]],
      ]),
    );
    expect(calls).toHaveLength(3);
    // Partition 0 was not sent twice; partition 1 was resent with the sequence it failed with.
    const partition1 = calls.filter((c) => c.partitions.includes(1)).map((c) => c.firstSequences);
    expect(partition1).toEqual([[0], [0]]);
    expect(eos.sequences.get('t|0')).toBe(1);
    expect(eos.sequences.get('t|1')).toBe(2);
    expect(responses.map((r) => [r.topicName, r.partition]).sort()).toEqual([
      ['t', 0],
      ['t', 1],
    ]);
  });
});
