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
import { AccountsModule } from './accounts/accounts.module';
import { ApiDocsModule } from './api-docs/api-docs.module';
import { RefreshTokenEntity } from './accounts/refresh-token.entity';
import { UserEntity } from './accounts/user.entity';
import type { GatewayConfig } from './config/gateway.config';
import { ConnectionsModule } from './connections/connections.module';
import { AcceptModule } from './accept/accept.module';
import { ConnectModule } from './connect/connect.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DeliverModule } from './deliver/deliver.module';
import { ContactsModule } from './contacts/contacts.module';
import { HeartbeatModule } from './heartbeat/heartbeat.module';
import { GATEWAY_MIGRATIONS } from './migrations';
import { ImagesModule } from './images/images.module';
import { PresenceModule } from './presence/presence.module';
import { ReadModelModule } from './read-model/read-model.module';
import { RealtimeModule } from './realtime/realtime.module';
import { ReceiptsModule } from './receipts/receipts.module';
import { SyncModule } from './sync/sync.module';
import { ThrottlingModule } from './throttling/throttling.module';
import { UsersModule } from './users/users.module';

export const GATEWAY_SERVICE = 'gateway';

/**
 * The gateway's root module, built from its validated config: client-facing HTTP (accounts,
 * connect tickets, conversations, contacts) and WebSockets (/ws). It produces to Kafka, consumes
 * nothing from it, and takes live deliveries from its Redis channel.
 */
export function createAppModule(config: GatewayConfig): Type<unknown> {
  @Module({
    imports: [
      AppConfigModule.forRoot(config),
      LoggingModule.forRoot({
        service: GATEWAY_SERVICE,
        level: config.LOG_LEVEL,
        pretty: config.NODE_ENV === 'development' && process.stdout.isTTY,
      }),
      DatabaseModule.forRoot({
        url: config.DATABASE_URL,
        stallTimeoutMs: config.DATABASE_STALL_TIMEOUT_MS,
        owner: GATEWAY_SERVICE,
        entities: [UserEntity, RefreshTokenEntity],
        migrations: GATEWAY_MIGRATIONS,
      }),
      RedisModule.forRoot(config),
      KafkaModule.forRoot({
        clientId: config.GATEWAY_ID,
        brokers: config.KAFKA_BROKERS,
        lingerMs: config.KAFKA_LINGER_MS,
        lingerMinRate: config.KAFKA_LINGER_MIN_RATE,
        maxPending: config.KAFKA_MAX_PENDING,
      }),
      ObservabilityModule.forRoot({
        service: GATEWAY_SERVICE,
        checks: [KafkaReadinessCheck, DatabaseReadinessCheck, RedisReadinessCheck],
      }),
      ConnectionsModule,
      ThrottlingModule,
      HeartbeatModule,
      AccountsModule,
      UsersModule,
      ConnectModule,
      ReadModelModule,
      ConversationsModule,
      AcceptModule,
      DeliverModule,
      SyncModule,
      ReceiptsModule,
      ContactsModule,
      PresenceModule,
      ImagesModule,
      ApiDocsModule,
      RealtimeModule,
    ],
  })
  class AppModule {}
  return AppModule;
}
