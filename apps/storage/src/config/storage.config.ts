import {
  commonEnv,
  databaseEnv,
  kafkaConsumerEnv,
  loadConfig,
  portEnv,
  redisEnv,
} from '@parley/common';
import { GROUP_MAX_MEMBERS } from '@parley/protocol';
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
  /** The most members a group may have (at most the protocol's GROUP_MAX_MEMBERS, 1,024). */
  GROUP_MAX_MEMBERS: z.coerce
    .number()
    .int()
    .min(2)
    .max(GROUP_MAX_MEMBERS)
    .default(GROUP_MAX_MEMBERS),
});

export type StorageConfig = z.output<typeof storageEnvSchema>;

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  return loadConfig(storageEnvSchema, env);
}
