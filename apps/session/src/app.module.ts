import { Module, Type } from '@nestjs/common';
import {
  AppConfigModule,
  LoggingModule,
  ObservabilityModule,
  RedisModule,
  RedisReadinessCheck,
} from '@parley/common';
import { KafkaModule, KafkaReadinessCheck } from '@parley/kafka';
import type { SessionConfig } from './config/session.config';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { GatewaysModule } from './gateways/gateways.module';

export const SESSION_SERVICE = 'session';

/**
 * Session: keeps the live-gateway table (Redis) from gateway heartbeats, and where each user's
 * devices are connected from connection events. Storage reads both to fan stored messages out.
 */
export function createAppModule(config: SessionConfig): Type<unknown> {
  @Module({
    imports: [
      AppConfigModule.forRoot(config),
      LoggingModule.forRoot({
        service: SESSION_SERVICE,
        // Its HTTP serves health and metrics only: no per-request context.
        requestLogs: false,
        level: config.LOG_LEVEL,
        pretty: config.NODE_ENV === 'development' && process.stdout.isTTY,
      }),
      RedisModule.forRoot(config),
      KafkaModule.forRoot({ clientId: SESSION_SERVICE, brokers: config.KAFKA_BROKERS }),
      ObservabilityModule.forRoot({
        service: SESSION_SERVICE,
        checks: [KafkaReadinessCheck, RedisReadinessCheck],
      }),
      GatewaysModule,
      DeliveriesModule,
    ],
  })
  class AppModule {}
  return AppModule;
}
