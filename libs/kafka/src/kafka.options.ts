/** Connection settings every Parley Kafka client (producer, consumer, admin) is built from. */
export interface KafkaClientOptions {
  /** Names this process to the broker and is the envelope `producer` of what it publishes. */
  clientId: string;
  brokers: string[];
}

export const KAFKA_OPTIONS = Symbol('KAFKA_OPTIONS');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
