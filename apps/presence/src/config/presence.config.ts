import { commonEnv, databaseEnv, kafkaConsumerEnv, loadConfig, portEnv } from '@parley/common';
import { z } from 'zod';

/** Presence's environment: Kafka (it consumes account events) and PostgreSQL (last-seen table). */
export const presenceEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  ...portEnv(3011),
  ...databaseEnv,
});

export type PresenceConfig = z.output<typeof presenceEnvSchema>;

export function loadPresenceConfig(env: NodeJS.ProcessEnv = process.env): PresenceConfig {
  return loadConfig(presenceEnvSchema, env);
}
