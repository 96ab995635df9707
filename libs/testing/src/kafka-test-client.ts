import { randomUUID } from 'node:crypto';
import { Admin, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';

/** A record as a test sees it: raw bytes, so tests can check what was stored byte for byte. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface RawOutgoing {
  key: string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

/**
 * Kafka for e2e tests: produce arbitrary bytes (including what no Parley producer would ever
 * send), read a topic back under a throw-away consumer group, and read a group's commits.
 */
export class KafkaTestClient {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private admin?: Admin;

  constructor(brokers: string[], clientId = 'parley-e2e') {
    this.kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
  }

  /** Sends the records in one request (so, with one key, in this order on one partition). */
  async produceRaw(
    topic: string,
    records: RawOutgoing[],
  ): Promise<{ partition: number; baseOffset: string }> {
    if (!this.producer) {
      this.producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await this.producer.connect();
    }
    const [meta] = await this.producer.send({ topic, acks: -1, messages: records });
    return { partition: meta.partition, baseOffset: meta.baseOffset ?? '0' };
  }

  /**
   * Reads `topic` from the beginning under a fresh consumer group, keeping records that pass
   * `filter`, until `done(kept)` holds or `timeoutMs` passes (then rejects with what it saw).
   */
  async collect(
    topic: string,
    filter: (r: ConsumedRecord) => boolean,
    done: (kept: ConsumedRecord[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<ConsumedRecord[]> {
    const consumer = this.kafka.consumer({ groupId: `parley-e2e-${randomUUID()}` });
    const kept: ConsumedRecord[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: ({ partition, message }) => {
          const record: ConsumedRecord = {
            topic,
            partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          };
          if (filter(record)) kept.push(record);
          return Promise.resolve();
        },
      });
      const deadline = Date.now() + timeoutMs;
      while (!done(kept)) {
        if (Date.now() > deadline) {
          throw new Error(`timed out reading ${topic}: ${kept.length} matching record(s) seen`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return kept;
    } finally {
      await consumer.disconnect();
    }
  }

  /** The offset `groupId` has committed on topic/partition, or null if none. */
  async committedOffset(groupId: string, topic: string, partition: number): Promise<string | null> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const [entry] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const found = entry?.partitions.find((p) => p.partition === partition);
    return !found || found.offset === '-1' ? null : found.offset;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }
}
