import { registeredCounter, registeredHistogram } from '@parley/common';
import type { Counter, Histogram } from 'prom-client';

/**
 * Parley's Kafka metrics, registered once per process in prom-client's default registry (the one
 * /metrics serves). A module-level singleton, so building several publishers or transports in one
 * process never registers a metric twice.
 */
export interface KafkaMetrics {
  produced: Counter<'topic'>;
  consumed: Counter<'topic' | 'group' | 'result'>;
  handlerSeconds: Histogram<'topic' | 'group'>;
}

let metrics: KafkaMetrics | undefined;

export function kafkaMetrics(): KafkaMetrics {
  metrics ??= {
    produced: registeredCounter({
      name: 'parley_kafka_produced_total',
      help: 'Records acknowledged by Kafka (acks=all), by topic.',
      labelNames: ['topic'],
    }),
    consumed: registeredCounter({
      name: 'parley_kafka_consumed_total',
      help: 'Records consumed and committed, by topic, group and result (ok or dead_lettered).',
      labelNames: ['topic', 'group', 'result'],
    }),
    handlerSeconds: registeredHistogram({
      name: 'parley_kafka_handler_seconds',
      help: 'Time a consumer handler took for one batch (every attempt), by topic and group.',
      labelNames: ['topic', 'group'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
  return metrics;
}
