import {
  bootstrapService,
  httpServerLimits,
  ConsumerGroup,
  exitOnStartupError,
  topicsOfGroup,
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
    transports: [
      new KafkaBatchTransport({
        clientId: STORAGE_SERVICE,
        brokers: config.KAFKA_BROKERS,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        fetchLingerMs: config.KAFKA_FETCH_LINGER_MS,
        fetchLingerMinRate: config.KAFKA_FETCH_LINGER_MIN_RATE,
        commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
        groupId: ConsumerGroup.Storage,
        topics: topicsOfGroup(ConsumerGroup.Storage),
      }),
      // Images in a group of their own, one partition at a time: processing one takes tens of
      // milliseconds of CPU, and must never hold a batch of messages back.
      new KafkaBatchTransport({
        clientId: `${STORAGE_SERVICE}-images`,
        brokers: config.KAFKA_BROKERS,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        commitIntervalMs: 0,
        groupId: ConsumerGroup.StorageImages,
        topics: topicsOfGroup(ConsumerGroup.StorageImages),
        partitionsConsumedConcurrently: 1,
        maxEventsPerCall: 1,
      }),
    ],
  });
}

main().catch((err: unknown) => exitOnStartupError(STORAGE_SERVICE, err));
