import {
  bootstrapService,
  httpServerLimits,
  ConsumerGroup,
  exitOnStartupError,
} from '@parley/common';
import { KafkaBatchTransport } from '@parley/kafka';
import { createAppModule, STORAGE_SERVICE } from './app.module';
import { loadStorageConfig } from './config/storage.config';

async function main(): Promise<void> {
  const config = loadStorageConfig();
  await bootstrapService(createAppModule(config), {
    service: STORAGE_SERVICE,
    host: config.HOST,
    port: config.PORT,
    http: httpServerLimits(config),
    transport: new KafkaBatchTransport({
      clientId: STORAGE_SERVICE,
      brokers: config.KAFKA_BROKERS,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      fetchLingerMs: config.KAFKA_FETCH_LINGER_MS,
      commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
      groupId: ConsumerGroup.Storage,
    }),
  });
}

main().catch((err: unknown) => exitOnStartupError(STORAGE_SERVICE, err));
