/** Connection settings every Parley Kafka client (producer, consumer, admin) is built from. */
export interface KafkaClientOptions {
  /** Names this process to the broker and is the envelope `producer` of what it publishes. */
  clientId: string;
  brokers: string[];
  /** Producer batching: how long a publish may wait for others to share its request (ms, default 2). */
  lingerMs?: number;
  /** Records a second under which a publish does not wait its linger (default 0: it always does). */
  lingerMinRate?: number;
  /** Records queued or in flight past which publish() rejects with ProducerOverloadedError (10000). */
  maxPending?: number;
  /** Most records in one produce request (default 1000). */
  maxBatchRecords?: number;
  /** Most key + value bytes in one produce request (default 1 MiB). */
  maxBatchBytes?: number;
}

export const KAFKA_OPTIONS = Symbol('KAFKA_OPTIONS');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
