import { commonEnv, databaseEnv, kafkaConsumerEnv, loadConfig, portEnv } from '@parley/common';
import { z } from 'zod/v4';

/** Presence's environment: Kafka (it consumes account events) and PostgreSQL (last-seen table). */
export const presenceEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  // Last seen is not on the message path: a storm of connection events (a gateway's clients
  // failing over) is taken in a few fetches rather than one each.
  KAFKA_FETCH_LINGER_MS: kafkaConsumerEnv.KAFKA_FETCH_LINGER_MS.removeDefault().default(200),
  ...portEnv(3011),
  ...databaseEnv,
});

export type PresenceConfig = z.output<typeof presenceEnvSchema>;

export function loadPresenceConfig(env: NodeJS.ProcessEnv = process.env): PresenceConfig {
  return loadConfig(presenceEnvSchema, env);
}
