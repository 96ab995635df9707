import { Logger } from '@nestjs/common';
import { Kafka, logLevel, LogEntry, Producer } from 'kafkajs';
import { KafkaClientOptions } from './kafka.options';
import { KeyPartitioner } from './producer/key-partitioner';
import { applyRequestQueueIdleFix } from './request-queue.idle-fix';

applyRequestQueueIdleFix();

/**
 * Routes kafkajs' own logs into the service logger (structured; kafkajs never logs record values).
 * kafkajs logs every broker error response (`Response Heartbeat ...: the group is rebalancing`,
 * `coordinator is loading`) at ERROR although it retries them itself; those are WARN here. A real
 * failure still reaches the caller as an exception, or the consumer as a crash event (an error).
 */
export function isRetriedBrokerResponse(namespace: string, message: string): boolean {
  return namespace === 'Connection' && message.startsWith('Response ');
}

function nestLogCreator() {
  const logger = new Logger('kafkajs');
  return ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, ...extra } = log;
    const meta = { namespace, ...extra };
    if (level === logLevel.ERROR && isRetriedBrokerResponse(namespace, message)) {
      logger.warn(meta, message);
    } else if (level === logLevel.ERROR) logger.error(meta, message);
    else if (level === logLevel.WARN) logger.warn(meta, message);
    else logger.debug(meta, message);
  };
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: nestLogCreator,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

/** The longest wait between two attempts of a publish (see createProducer). */
export const PRODUCER_MAX_RETRY_WAIT_MS = 1_000;

/**
 * The services' producer: idempotent with acks=all (set per send), so a retried send is never
 * written twice. kafkajs does not re-sequence batches after a failure, so idempotence needs one
 * request in flight per connection, and unlimited retries (kafkajs' idempotent default): during a
 * broker outage a publish waits for the broker rather than failing. The wait between attempts is
 * capped at 1 s (kafkajs doubles it up to 30 s): when a broker of a cluster dies, its partitions
 * get new leaders within seconds, and a publish should find them then, not up to 30 s later
 * (with 30 s, a killed broker stalled appends for 10 s and more, past a gateway's directory
 * lease). An attempt a second against a broker that is down costs nothing measurable. No topic
 * auto-creation: topics come from TOPIC_SPECS. A key goes to the partition kafkajs's
 * DefaultPartitioner (and Kafka's Java client) would choose, through KeyPartitioner's cheaper hash.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: PRODUCER_MAX_RETRY_WAIT_MS },
    allowAutoTopicCreation: false,
    createPartitioner: KeyPartitioner,
  });
}

/**
 * The consumer's dead-letter producer: acks=all but NOT idempotent, with bounded retries, so a
 * failed send surfaces to the consumer's retry loop (which backs off, heartbeats and aborts on
 * shutdown) instead of blocking a batch forever. A duplicate dead letter is harmless.
 */
export function createDeadLetterProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: false,
    retry: { retries: 5, initialRetryTime: 300 },
    allowAutoTopicCreation: false,
    createPartitioner: KeyPartitioner,
  });
}
