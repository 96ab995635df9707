import { Module, Type } from '@nestjs/common';
import {
  AppConfigModule,
  DatabaseModule,
  DatabaseReadinessCheck,
  LoggingModule,
  ObservabilityModule,
} from '@parley/common';
import { KafkaModule, KafkaReadinessCheck } from '@parley/kafka';
import type { PresenceConfig } from './config/presence.config';
import { PRESENCE_MIGRATIONS } from './migrations';
import { PresenceModule } from './presence/presence.module';

export const PRESENCE_SERVICE = 'presence';

/** Presence: consumes account events into user_presence (PostgreSQL) and serves last-seen reads. */
export function createAppModule(config: PresenceConfig): Type<unknown> {
  @Module({
    imports: [
      AppConfigModule.forRoot(config),
      LoggingModule.forRoot({
        service: PRESENCE_SERVICE,
        // Health, metrics and one read: no request-bound logger needed, so no promise hook.
        requestContext: false,
        level: config.LOG_LEVEL,
        pretty: config.NODE_ENV === 'development' && process.stdout.isTTY,
      }),
      DatabaseModule.forRoot({
        url: config.DATABASE_URL,
        owner: PRESENCE_SERVICE,
        entities: [],
        migrations: PRESENCE_MIGRATIONS,
      }),
      KafkaModule.forRoot({ clientId: PRESENCE_SERVICE, brokers: config.KAFKA_BROKERS }),
      ObservabilityModule.forRoot({
        service: PRESENCE_SERVICE,
        checks: [KafkaReadinessCheck, DatabaseReadinessCheck],
      }),
      PresenceModule,
    ],
  })
  class AppModule {}
  return AppModule;
}
