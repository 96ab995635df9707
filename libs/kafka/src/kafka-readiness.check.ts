import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ReadinessCheck } from '@parley/common';
import { Admin, Kafka } from 'kafkajs';
import { KAFKA_CLIENT } from './kafka.options';

/** Ready when the cluster answers a metadata request on a kept admin connection. */
@Injectable()
export class KafkaReadinessCheck implements ReadinessCheck, OnModuleInit, OnApplicationShutdown {
  readonly name = 'kafka';
  private readonly admin: Admin;

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka) {
    // Few retries: a readiness probe should answer "down" quickly, not retry for half a minute.
    this.admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 200 } });
  }

  async onModuleInit(): Promise<void> {
    await this.admin.connect();
  }

  async check(): Promise<void> {
    const cluster = await this.admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('no Kafka broker in the cluster metadata');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect();
  }
}
