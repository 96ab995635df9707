import { commonEnv, databaseEnv, kafkaConsumerEnv, loadConfig, portEnv } from '@parley/common';
import { z } from 'zod/v4';

/** Storage's environment: Kafka and PostgreSQL (it owns the messaging schema). */
export const storageEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  ...portEnv(3012),
  ...databaseEnv,
  /**
   * How long a `stored` record may wait for others before its produce request leaves. Storage
   * publishes a whole group commit at once, so it needs no linger to fill requests.
   */
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(0),
});

export type StorageConfig = z.output<typeof storageEnvSchema>;

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  return loadConfig(storageEnvSchema, env);
}
