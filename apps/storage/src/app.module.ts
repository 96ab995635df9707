import { Module, Type } from '@nestjs/common';
import {
  AppConfigModule,
  DatabaseModule,
  DatabaseReadinessCheck,
  LoggingModule,
  ObservabilityModule,
  RedisModule,
  RedisReadinessCheck,
} from '@parley/common';
import { KafkaModule, KafkaReadinessCheck } from '@parley/kafka';
import type { StorageConfig } from './config/storage.config';
import { AnnouncementsModule } from './announcements/announcements.module';
import { CursorsModule } from './cursors/cursors.module';
import { FailpointsModule } from './failpoints/failpoints.module';
import { ExpiryModule } from './expiry/expiry.module';
import { ImagesModule } from './images/images.module';
import { MessagesModule } from './messages/messages.module';
import { STORAGE_MIGRATIONS } from './migrations';

export const STORAGE_SERVICE = 'storage';

/**
 * Storage owns the messaging schema (conversations, members, device cursors, messages). It
 * persists accepted sends (seq per conversation, dedup per sender + clientMsgId), fans each
 * committed batch out to the gateway boxes holding its members' sockets (Redis), moves
 * delivered/read cursors forward, adds every registered user to the announcements channel, and
 * processes uploaded images (its own consumer group). Readiness: Kafka, PostgreSQL and Redis.
 */
export function createAppModule(config: StorageConfig): Type<unknown> {
  @Module({
    imports: [
      AppConfigModule.forRoot(config),
      LoggingModule.forRoot({
        service: STORAGE_SERVICE,
        // Its HTTP serves health and metrics only: no per-request context on the message path.
        requestLogs: false,
        level: config.LOG_LEVEL,
        pretty: config.NODE_ENV === 'development' && process.stdout.isTTY,
      }),
      DatabaseModule.forRoot({
        url: config.DATABASE_URL,
        stallTimeoutMs: config.DATABASE_STALL_TIMEOUT_MS,
        owner: STORAGE_SERVICE,
        entities: [],
        migrations: STORAGE_MIGRATIONS,
      }),
      RedisModule.forRoot(config),
      KafkaModule.forRoot({ clientId: STORAGE_SERVICE, brokers: config.KAFKA_BROKERS }),
      ObservabilityModule.forRoot({
        service: STORAGE_SERVICE,
        checks: [KafkaReadinessCheck, DatabaseReadinessCheck, RedisReadinessCheck],
      }),
      // Test hook (docs/OPERATIONS.md): armable only under NODE_ENV=test.
      FailpointsModule.forRoot({ armable: config.NODE_ENV === 'test' }),
      MessagesModule,
      CursorsModule,
      AnnouncementsModule,
      ImagesModule,
      ExpiryModule,
    ],
  })
  class AppModule {}
  return AppModule;
}
