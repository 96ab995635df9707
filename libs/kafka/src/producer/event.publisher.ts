import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  createEnvelope,
  EventContract,
  PayloadOf,
  TOPIC_CONTRACTS,
  TopicContract,
  TopicName,
  withTimeout,
} from '@parley/common';
import { Kafka, Producer } from 'kafkajs';
import { createProducer } from '../kafka-client.factory';
import { kafkaMetrics } from '../kafka.metrics';
import { KAFKA_CLIENT, KAFKA_OPTIONS, KafkaClientOptions } from '../kafka.options';
import { OutgoingRecord, toOutgoingRecord } from './producer-record';
import { DEFAULT_BATCHER_OPTIONS, RecordBatcher, TopicBatch } from './record-batcher';

export { ProducerClosedError, ProducerOverloadedError } from './record-batcher';

const FLUSH_TIMEOUT_MS = 10_000;

export interface PublishOptions {
  correlationId?: string;
  /**
   * How long the record may wait for others to share its produce request (default: the
   * publisher's `lingerMs`). Longer for events no request waits on, so a burst of them (a
   * reconnect storm's connection events) costs the broker a few requests instead of one each.
   */
  lingerMs?: number;
  /**
   * The payload is made only of values this process validated already (a decoded client frame,
   * its own ids and clock), so the producer-side check against the contract is skipped: on the
   * message path it is a second parse of what the gateway just parsed. The consumer still
   * validates the event and dead-letters it if it does not fit. Leave it unset wherever a payload
   * is assembled from anything else.
   */
  prevalidated?: true;
}

/** One item of `publishMany`: the payload type follows the contract. */
export type PublishItem<C> =
  C extends EventContract<string, infer P>
    ? { key: string; contract: C; payload: P; correlationId?: string }
    : never;

/**
 * The only way Parley services write to Kafka. Payloads are validated against their contract here
 * too (a producer bug fails loudly at the source instead of being dead-lettered downstream; a
 * publish may skip it for a payload made of values already validated: `prevalidated`), only
 * contracts the topic carries are accepted, and a publish resolves once every in-sync replica has
 * the record (acks=all). Callers publish after their own database commit. During a broker outage
 * a publish waits (the idempotent producer retries without limit); bound it at the call site if a
 * request must not wait.
 *
 * Publishes are batched (RecordBatcher): each call is queued and settles with the produce request
 * that carries it; requests go one at a time after a short linger (`lingerMs`), so records reach
 * Kafka in call order. Past `maxPending` queued records a publish rejects at once with
 * ProducerOverloadedError (pushback instead of unbounded memory); `saturated` tells beforehand.
 */
@Injectable()
export class EventPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly producer: Producer;
  private readonly batcher: RecordBatcher;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(KAFKA_OPTIONS) private readonly options: KafkaClientOptions,
  ) {
    this.producer = createProducer(kafka);
    this.batcher = new RecordBatcher((batches) => this.sendBatch(batches), {
      lingerMs: options.lingerMs ?? DEFAULT_BATCHER_OPTIONS.lingerMs,
      lingerMinRate: options.lingerMinRate ?? DEFAULT_BATCHER_OPTIONS.lingerMinRate,
      maxPending: options.maxPending ?? DEFAULT_BATCHER_OPTIONS.maxPending,
      maxBatchRecords: options.maxBatchRecords ?? DEFAULT_BATCHER_OPTIONS.maxBatchRecords,
      maxBatchBytes: options.maxBatchBytes ?? DEFAULT_BATCHER_OPTIONS.maxBatchBytes,
    });
  }

  /** True while one more publish would be refused with ProducerOverloadedError. */
  get saturated(): boolean {
    return this.batcher.saturated;
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
  }

  async publish<T extends TopicName, C extends TopicContract<T>>(
    topic: T,
    key: string,
    contract: C,
    payload: PayloadOf<C>,
    opts: PublishOptions = {},
  ): Promise<void> {
    const record = this.build(
      topic,
      key,
      contract,
      payload,
      opts.correlationId,
      opts.prevalidated === true,
    );
    await this.batcher.enqueue(topic, [record], opts.lingerMs);
  }

  /** Several events to one topic in a single produce request (ordering per key is kept). */
  async publishMany<T extends TopicName>(
    topic: T,
    items: readonly PublishItem<TopicContract<T>>[],
  ): Promise<void> {
    if (items.length === 0) return;
    const records = items.map((i: PublishItem<TopicContract<T>>) =>
      this.build(
        topic,
        i.key,
        i.contract as EventContract<string, unknown>,
        i.payload as unknown,
        i.correlationId,
        false,
      ),
    );
    await this.batcher.enqueue(topic, records);
  }

  /**
   * Runs after consumers have drained (Nest closes microservices before shutdown hooks): refuses
   * new publishes, sends everything queued and waits for it (at most FLUSH_TIMEOUT_MS, so a broker
   * outage cannot hang shutdown), then disconnects.
   */
  async onApplicationShutdown(): Promise<void> {
    const pending = this.batcher.pending;
    if (pending > 0) this.logger.log({ pending }, 'flushing queued Kafka sends');
    const flushed = await withTimeout(
      this.batcher.close().then(() => true),
      FLUSH_TIMEOUT_MS,
      'Kafka flush',
    ).catch(() => false);
    if (!flushed) {
      this.logger.error(
        { pending: this.batcher.pending },
        'Kafka sends still unacknowledged at shutdown',
      );
    }
    await this.producer.disconnect();
  }

  private build(
    topic: TopicName,
    key: string,
    contract: EventContract<string, unknown>,
    payload: unknown,
    correlationId: string | undefined,
    prevalidated: boolean,
  ): OutgoingRecord {
    const carried: readonly EventContract<string, unknown>[] = TOPIC_CONTRACTS[topic];
    if (!carried.includes(contract)) {
      throw new Error(`${contract.type} v${contract.version} is not carried by topic ${topic}`);
    }
    const envelope = createEnvelope(
      contract,
      payload,
      this.options.clientId,
      correlationId,
      prevalidated,
    );
    return toOutgoingRecord(topic, key, envelope);
  }

  /** One flush: every topic's records in a single produce request (acks=all). */
  private async sendBatch(batches: TopicBatch[]): Promise<void> {
    await this.producer.sendBatch({ acks: -1, topicMessages: batches });
    const produced = kafkaMetrics().produced;
    for (const b of batches) produced.inc({ topic: b.topic }, b.messages.length);
  }
}
