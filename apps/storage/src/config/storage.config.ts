import {
  commonEnv,
  databaseEnv,
  kafkaConsumerEnv,
  loadConfig,
  portEnv,
  redisEnv,
} from '@parley/common';
import { z } from 'zod/v4';

/**
 * Storage's environment: Kafka, PostgreSQL (it owns the messaging schema) and Redis (fan-out reads
 * where devices are and publishes to the gateway boxes, under the stack's PARLEY_CLUSTER_ID).
 */
export const storageEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  ...portEnv(3012),
  ...databaseEnv,
  ...redisEnv,
});

export type StorageConfig = z.output<typeof storageEnvSchema>;

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  return loadConfig(storageEnvSchema, env);
}
