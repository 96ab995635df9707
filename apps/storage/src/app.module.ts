import { Module, Type } from '@nestjs/common';
import {
  AppConfigModule,
  DatabaseModule,
  DatabaseReadinessCheck,
  LoggingModule,
  ObservabilityModule,
} from '@parley/common';
import { KafkaModule, KafkaReadinessCheck } from '@parley/kafka';
import type { StorageConfig } from './config/storage.config';

export const STORAGE_SERVICE = 'storage';

/**
 * Storage owns the messaging schema (conversations and messages arrive with the next issue). For
 * now it runs its (empty) migrations, keeps a producer, and reports readiness on Kafka and
 * PostgreSQL; it has no consumer handlers yet, so its transport joins no group.
 */
export function createAppModule(config: StorageConfig): Type<unknown> {
  @Module({
    imports: [
      AppConfigModule.forRoot(config),
      LoggingModule.forRoot({
        service: STORAGE_SERVICE,
        level: config.LOG_LEVEL,
        pretty: config.NODE_ENV === 'development' && process.stdout.isTTY,
      }),
      DatabaseModule.forRoot({
        url: config.DATABASE_URL,
        owner: STORAGE_SERVICE,
        entities: [],
        migrations: [],
      }),
      KafkaModule.forRoot({ clientId: STORAGE_SERVICE, brokers: config.KAFKA_BROKERS }),
      ObservabilityModule.forRoot({
        service: STORAGE_SERVICE,
        checks: [KafkaReadinessCheck, DatabaseReadinessCheck],
      }),
    ],
  })
  class AppModule {}
  return AppModule;
}
