import {
  commonEnv,
  databaseEnv,
  kafkaConsumerEnv,
  loadConfig,
  portEnv,
  redisEnv,
} from '@parley/common';
import { GROUP_MAX_MEMBERS, USERNAME_PATTERN } from '@parley/protocol';
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
  /**
   * The operators who post to the announcements channel: comma-separated usernames (any case),
   * made its admins at every start and on registration; everyone else is a member. Empty: nobody
   * posts.
   */
  ANNOUNCEMENTS_ADMINS: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name.length > 0),
    )
    .pipe(z.array(z.string().regex(USERNAME_PATTERN, 'must be usernames')).max(100)),
});

export type StorageConfig = z.output<typeof storageEnvSchema>;

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  return loadConfig(storageEnvSchema, env);
}
