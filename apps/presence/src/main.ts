import {
  bootstrapService,
  httpServerLimits,
  ConsumerGroup,
  exitOnStartupError,
} from '@parley/common';
import { KafkaBatchTransport } from '@parley/kafka';
import { createAppModule, PRESENCE_SERVICE } from './app.module';
import { loadPresenceConfig } from './config/presence.config';

async function main(): Promise<void> {
  const config = loadPresenceConfig();
  await bootstrapService(createAppModule(config), {
    service: PRESENCE_SERVICE,
    host: config.HOST,
    port: config.PORT,
    http: httpServerLimits(config),
    transports: [
      new KafkaBatchTransport({
        clientId: PRESENCE_SERVICE,
        brokers: config.KAFKA_BROKERS,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        fetchLingerMs: config.KAFKA_FETCH_LINGER_MS,
        commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
        groupId: ConsumerGroup.Presence,
      }),
    ],
  });
}

main().catch((err: unknown) => exitOnStartupError(PRESENCE_SERVICE, err));
