import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import {
  ConsumerGroupName,
  createEnvelope,
  DeadLetterV1,
  EventContract,
  EventDecoder,
  EventEnvelope,
  isTopicName,
  Topic,
  TOPIC_CONTRACTS,
  TopicName,
} from '@parley/common';
import { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { createDeadLetterProducer, createKafkaClient } from '../kafka-client.factory';
import { kafkaMetrics } from '../kafka.metrics';
import { toOutgoingRecord } from '../producer/producer-record';
import { RawRecord } from './dead-letter.record';
import { EventBatch, KafkaBatchContext } from './event-batch';
import { FetchLinger } from './fetch-linger';
import {
  DEFAULT_PROCESSOR_OPTIONS,
  DeadLetter,
  describeError,
  PartitionBatchProcessor,
  ProcessorOptions,
} from './partition-batch.processor';
import { type CommitOffsetsFn, OffsetCommitBatcher } from './offset-commit.batcher';
import { sleepWithTicks } from './retry-backoff';
import { consumerSessionTiming } from './consumer-session-timing';

export interface KafkaBatchTransportOptions {
  clientId: string;
  brokers: string[];
  groupId: ConsumerGroupName;
  /**
   * The topics this consumer group takes: only their @EventPattern handlers are subscribed
   * (default: every handler). A service with two groups passes each its own topics.
   */
  topics?: readonly TopicName[];
  /** Partitions processed at once (each in offset order); default 12, the message topics' count. */
  partitionsConsumedConcurrently?: number;
  /** Largest number of records one handler call receives; longer batches are split. */
  maxEventsPerCall?: number;
  /** How long a fetch that brought records holds the next one (FetchLinger); default 0. */
  fetchLingerMs?: number;
  /**
   * Records a second under which a fetch does not hold the next one (FetchLinger's `minRate`);
   * default 0: it always does.
   */
  fetchLingerMinRate?: number;
  /** The least time between two OffsetCommit requests (OffsetCommitBatcher); default 0. */
  commitIntervalMs?: number;
  /**
   * How long the broker keeps the partitions of a member it stopped hearing from (the service's
   * KAFKA_SESSION_TIMEOUT_MS); default 30 s. Heartbeats go out at a third of it, at most 3 s apart.
   */
  sessionTimeoutMs?: number;
}

/**
 * How long the broker may hold a fetch: until `minBytes` are ready or `maxWaitTimeInMs` passed.
 * 1 byte / 1.5 s for every consumer: a fetch is answered as soon as anything arrives, so no record
 * waits for a byte threshold, and an idle consumer asks every 1.5 s instead of polling. Under load
 * batches grow by themselves (what arrives while a batch is handled, or during the fetch linger,
 * is the next fetch). kafkajs heartbeats between fetches, so the wait stays under the heartbeat
 * interval (2 s at the shortest session timeout, 6 s): a member is heard from at least every 3.5 s.
 */
export const LONG_POLL_FETCH = { minBytes: 1, maxWaitTimeInMs: 1_500 } as const;

type ConsumerEventListeners = Record<string, (...args: unknown[]) => void>;

/** A subscribed topic's handler and its per-partition batch processors. */
interface TopicRoute {
  handler: MessageHandler;
  makeProcessor: (partition: number) => PartitionBatchProcessor;
}

/**
 * Nest microservice transport for Parley's Kafka consumers. It subscribes to every topic a
 * controller handles with `@EventPattern(Topic.X)`, decodes each partition batch against the
 * topic's contracts (TOPIC_CONTRACTS), dead-letters what is invalid, hands the handler ONE
 * EventBatch per partition batch and commits only after the handler's promise resolved. The
 * retry/poison/commit rules live in PartitionBatchProcessor.
 *
 * A handler is a controller method `@EventPattern(Topic.X) onX(batch: EventBatch<TopicEvent<..>>)`
 * that returns a promise resolving once its work is durable.
 */
export class KafkaBatchTransport
  extends Server<ConsumerEventListeners>
  implements CustomTransportStrategy
{
  protected override readonly logger = new Logger(KafkaBatchTransport.name);
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private committer: CommitOffsetsFn | null = null;
  private readonly commits: OffsetCommitBatcher;
  private readonly closing = new AbortController();
  /**
   * Per subscribed topic: its handler and a processor factory, resolved once at start (Nest's
   * pattern lookup JSON-parses the pattern on every call; it was a few percent of a busy consumer).
   */
  private readonly routes = new Map<TopicName, TopicRoute>();
  private readonly processorOptions: ProcessorOptions;
  private readonly listeners: [string, (...args: unknown[]) => void][] = [];
  /** Per topic-partition: the batches being handled, in offset order (see onBatch). */
  private readonly partitionTails = new Map<string, Promise<void>>();
  /** Per topic-partition: the first offset a stopped batch left uncommitted. */
  private readonly stoppedAt = new Map<string, bigint>();
  private readonly linger: FetchLinger;

  constructor(private readonly options: KafkaBatchTransportOptions) {
    super();
    this.kafka = createKafkaClient({ clientId: options.clientId, brokers: options.brokers });
    this.linger = new FetchLinger(options.fetchLingerMs ?? 0, options.fetchLingerMinRate ?? 0);
    this.commits = new OffsetCommitBatcher((topics) => {
      if (!this.committer) return Promise.reject(new Error('no consumer to commit through'));
      return this.committer(topics);
    }, options.commitIntervalMs ?? 0);
    this.processorOptions = {
      ...DEFAULT_PROCESSOR_OPTIONS,
      maxEventsPerCall: options.maxEventsPerCall ?? DEFAULT_PROCESSOR_OPTIONS.maxEventsPerCall,
    };
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Leaves the group; kafkajs lets the in-flight batch finish (a retry loop aborts promptly). */
  async close(): Promise<void> {
    this.closing.abort();
    const consumer = this.consumer;
    const producer = this.producer;
    this.consumer = null;
    this.producer = null;
    // Batches still being handled stop at their next step (or finish and commit); background
    // offset commits go out while we are still a member.
    await Promise.all(this.partitionTails.values());
    await this.commits.settled();
    if (consumer) await consumer.disconnect();
    if (producer) await producer.disconnect();
  }

  /** Registers a listener for a kafkajs consumer instrumentation event (e.g. 'consumer.crash'). */
  on<K extends string, C extends ConsumerEventListeners[K]>(event: K, callback: C): void {
    this.listeners.push([event, callback]);
    if (this.consumer) this.attach(this.consumer, event, callback);
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('Kafka consumer not started (no handlers, or closed)');
    return this.consumer as T;
  }

  private async start(): Promise<void> {
    const handlers = this.subscribedHandlers();
    const topics = [...handlers.keys()];
    const { groupId } = this.options;
    if (topics.length === 0) {
      this.logger.log({ group: groupId }, 'no @EventPattern handlers: Kafka consumer not started');
      return;
    }
    for (const [topic, handler] of handlers) {
      const decoder = new EventDecoder<EventContract<string, unknown>>(TOPIC_CONTRACTS[topic]);
      const decode = (raw: Buffer | null) => decoder.decode(raw);
      this.routes.set(topic, {
        handler,
        makeProcessor: (partition) =>
          new PartitionBatchProcessor(
            { topic, partition, group: groupId },
            decode,
            this.logger,
            this.processorOptions,
          ),
      });
    }

    this.producer = createDeadLetterProducer(this.kafka);
    await this.producer.connect();

    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      ...consumerSessionTiming(this.options.sessionTimeoutMs),
      ...LONG_POLL_FETCH,
    });
    this.consumer = consumer;
    for (const [event, callback] of this.listeners) this.attach(consumer, event, callback);
    // A new generation fetches every assigned partition from its committed offset again.
    consumer.on(consumer.events.GROUP_JOIN, () => this.stoppedAt.clear());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.closing.signal.aborted) return;
      // kafkajs gave up on this consumer. Rather than a live HTTP process that consumes nothing,
      // stop the service (gracefully) so its supervisor restarts it.
      this.logger.error(
        { group: groupId, err: payload.error },
        'Kafka consumer crashed and will not restart; stopping the service',
      );
      process.kill(process.pid, 'SIGTERM');
    });

    await consumer.connect();
    // New groups start from the earliest offset: nothing produced before a group first joined
    // is skipped. Existing groups resume from their committed offsets.
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 12,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.logger.log({ group: groupId, topics }, 'Kafka consumer joined');
  }

  private subscribedHandlers(): Map<TopicName, MessageHandler> {
    const handlers = new Map<TopicName, MessageHandler>();
    for (const [pattern, handler] of this.getHandlers()) {
      if (!isTopicName(pattern)) {
        throw new Error(
          `@EventPattern('${pattern}') is not a Parley topic (see Topic in @parley/common)`,
        );
      }
      if (this.options.topics && !this.options.topics.includes(pattern)) continue;
      if (!handler.isEventHandler) {
        throw new Error(
          `${pattern}: Kafka handlers must be @EventPattern (no request/reply over Kafka)`,
        );
      }
      handlers.set(pattern, handler);
    }
    return handlers;
  }

  /**
   * One partition batch from kafkajs. It is handled behind the partition's previous batch (each
   * partition in offset order) while kafkajs already fetches the next one: the fetch position
   * moves past the batch at once, and this call returns as soon as the PREVIOUS batch of the
   * partition is done. So at most two batches per partition are held (one handled, one waiting),
   * and the next fetch no longer waits for this batch's database commit and publish. Offsets are
   * still committed only after the handler's work is durable; a batch that stops uncommitted
   * (closing) stops every later batch of its partition that it would otherwise let be skipped.
   */
  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const topic = batch.topic as TopicName;
    const route = this.routes.get(topic);
    if (!route || batch.messages.length === 0) return; // not ours: uncommitted
    const { makeProcessor, handler } = route;
    const key = `${topic}\u0000${batch.partition}`;
    const previous = this.partitionTails.get(key) ?? Promise.resolve();
    const handled = previous.then(() => this.handleBatch(payload, key, makeProcessor, handler));
    const tail = handled.then(
      () => undefined,
      (err: unknown) =>
        this.logger.error(
          {
            group: this.options.groupId,
            topic,
            partition: batch.partition,
            error: describeError(err),
          },
          'partition batch failed; left uncommitted for redelivery',
        ),
    );
    this.partitionTails.set(key, tail);
    void tail.then(() => {
      if (this.partitionTails.get(key) === tail) this.partitionTails.delete(key);
    });
    payload.resolveOffset(batch.lastOffset());
    if (this.closing.signal.aborted) return tail; // closing: kafkajs leaves only after it
    const pause = this.linger.pause(batch.messages.length);
    return pause ? Promise.all([previous, pause]).then(() => undefined) : previous;
  }

  private async handleBatch(
    payload: EachBatchPayload,
    key: string,
    makeProcessor: (partition: number) => PartitionBatchProcessor,
    handler: MessageHandler,
  ): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    const topic = batch.topic as TopicName;
    const { partition } = batch;
    const signal = this.closing.signal;
    const first = BigInt(batch.firstOffset() ?? batch.messages[0].offset);
    const stoppedAt = this.stoppedAt.get(key);
    if (stoppedAt !== undefined) {
      if (first > stoppedAt) return; // handling it would skip the stopped batch's records
      this.stoppedAt.delete(key); // a re-fetch from the committed offset
    }
    const records: RawRecord[] = batch.messages.map((m) => ({
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: m.headers,
    }));
    let committedUpTo = first;
    let outcome: 'committed' | 'stopped' = 'stopped';
    try {
      outcome = await makeProcessor(partition).process(records, {
        deadLetter: (letters) => this.sendDeadLetters(letters),
        invoke: (events) => this.invoke(handler, topic, partition, events, heartbeat),
        commit: (offset) => {
          // The handler's work is durable: commit in the background. One request carries every
          // partition batch that finished meanwhile, sent through the newest batch's handle (a
          // restarted consumer has a new one). A failed commit is covered by the next one for
          // that partition, or means a redelivery after a restart or rebalance, which the
          // idempotent handlers absorb.
          committedUpTo = BigInt(offset);
          this.committer = (topics) => payload.commitOffsetsIfNecessary({ topics });
          const committed = this.commits.commit(topic, partition, offset);
          if (signal.aborted) return committed; // closing: leave the group only after it
          committed.catch((err: unknown) =>
            this.logger.warn(
              { group: this.options.groupId, topic, partition, offset, error: describeError(err) },
              'offset commit failed; a later commit or a redelivery covers it',
            ),
          );
          return Promise.resolve();
        },
        heartbeat,
        shouldStop: () => signal.aborted || !payload.isRunning() || payload.isStale(),
        wait: (ms) => sleepWithTicks(ms, signal, heartbeat),
      });
    } finally {
      // Stopped or failed part-way: later batches of this partition must not skip the rest.
      if (outcome === 'stopped') this.stoppedAt.set(key, committedUpTo);
    }
  }

  private async invoke(
    handler: MessageHandler,
    topic: TopicName,
    partition: number,
    events: EventEnvelope[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const batch: EventBatch<EventEnvelope> = { topic, partition, events, heartbeat };
    const context = new KafkaBatchContext([topic, partition, this.options.groupId]);
    const result: unknown = await handler(batch, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private async sendDeadLetters(letters: DeadLetter[]): Promise<void> {
    if (!this.producer) throw new Error('dead-letter producer not connected');
    const messages = letters.map((l) =>
      toOutgoingRecord(
        Topic.DeadLetter,
        l.key,
        createEnvelope(DeadLetterV1, l.payload, this.options.clientId),
      ),
    );
    await this.producer.send({ topic: Topic.DeadLetter, acks: -1, messages });
    kafkaMetrics().produced.inc({ topic: Topic.DeadLetter }, messages.length);
  }

  private attach(consumer: Consumer, event: string, callback: (...args: unknown[]) => void): void {
    consumer.on(event as Parameters<Consumer['on']>[0], callback);
  }
}
