import { commonEnv, databaseEnv, kafkaConsumerEnv, loadConfig, portEnv } from '@parley/common';
import { z } from 'zod';

/** Storage's environment: Kafka and PostgreSQL (it owns the messaging schema). */
export const storageEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  ...portEnv(3012),
  ...databaseEnv,
});

export type StorageConfig = z.output<typeof storageEnvSchema>;

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  return loadConfig(storageEnvSchema, env);
}
