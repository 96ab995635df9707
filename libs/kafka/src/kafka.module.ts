import { DynamicModule, Global, Module } from '@nestjs/common';
import { createKafkaClient } from './kafka-client.factory';
import { KafkaReadinessCheck } from './kafka-readiness.check';
import { KAFKA_CLIENT, KAFKA_OPTIONS, KafkaClientOptions } from './kafka.options';
import { EventPublisher } from './producer/event.publisher';

/**
 * Kafka for one service: the EventPublisher (connected on start, flushed and closed after the
 * consumers have drained) and the readiness check. Consuming is the KafkaBatchTransport's job.
 * The producer's batching (`lingerMs`, `maxPending`, ...) comes from the options; unset ones
 * take the publisher's defaults.
 */
@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaClientOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA_OPTIONS, useValue: options },
        { provide: KAFKA_CLIENT, useFactory: () => createKafkaClient(options) },
        EventPublisher,
        KafkaReadinessCheck,
      ],
      exports: [EventPublisher, KafkaReadinessCheck],
    };
  }
}
