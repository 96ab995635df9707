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
import type { PresenceConfig } from './config/presence.config';
import { PRESENCE_MIGRATIONS } from './migrations';
import { PresenceModule } from './presence/presence.module';

export const PRESENCE_SERVICE = 'presence';

/**
 * Presence: online and last seen (live in Redis, last seen coalesced into PostgreSQL's
 * user_presence) and typing routed to members' gateways. No HTTP API but health and metrics:
 * clients read presence through the gateway, authenticated.
 */
export function createAppModule(config: PresenceConfig): Type<unknown> {
  @Module({
    imports: [
      AppConfigModule.forRoot(config),
      LoggingModule.forRoot({
        service: PRESENCE_SERVICE,
        // Health and metrics only: no request-bound logger needed, so no promise hook.
        requestLogs: false,
        level: config.LOG_LEVEL,
        pretty: config.NODE_ENV === 'development' && process.stdout.isTTY,
      }),
      DatabaseModule.forRoot({
        url: config.DATABASE_URL,
        stallTimeoutMs: config.DATABASE_STALL_TIMEOUT_MS,
        owner: PRESENCE_SERVICE,
        entities: [],
        migrations: PRESENCE_MIGRATIONS,
      }),
      RedisModule.forRoot(config),
      KafkaModule.forRoot({ clientId: PRESENCE_SERVICE, brokers: config.KAFKA_BROKERS }),
      ObservabilityModule.forRoot({
        service: PRESENCE_SERVICE,
        checks: [KafkaReadinessCheck, DatabaseReadinessCheck, RedisReadinessCheck],
      }),
      PresenceModule,
    ],
  })
  class AppModule {}
  return AppModule;
}
