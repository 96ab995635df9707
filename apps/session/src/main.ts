import {
  bootstrapService,
  httpServerLimits,
  ConsumerGroup,
  exitOnStartupError,
} from '@parley/common';
import { KafkaBatchTransport } from '@parley/kafka';
import { createAppModule, SESSION_SERVICE } from './app.module';
import { loadSessionConfig } from './config/session.config';

async function main(): Promise<void> {
  const config = loadSessionConfig();
  await bootstrapService(createAppModule(config), {
    service: SESSION_SERVICE,
    host: config.HOST,
    port: config.PORT,
    http: httpServerLimits(config),
    transports: [
      new KafkaBatchTransport({
        clientId: SESSION_SERVICE,
        brokers: config.KAFKA_BROKERS,
        groupId: ConsumerGroup.Session,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        fetchLingerMs: config.KAFKA_FETCH_LINGER_MS,
        commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
      }),
    ],
  });
}

main().catch((err: unknown) => exitOnStartupError(SESSION_SERVICE, err));
