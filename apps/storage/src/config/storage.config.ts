import {
  blobStoreEnv,
  commonEnv,
  databaseEnv,
  kafkaConsumerEnv,
  loadConfig,
  portEnv,
  redisEnv,
} from '@parley/common';
import { DISAPPEARING_TIMERS_S, GROUP_MAX_MEMBERS, USERNAME_PATTERN } from '@parley/protocol';
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
  ...blobStoreEnv,
  /**
   * Records a second (over the last second) under which the message path's fetch does not hold
   * the next one for KAFKA_FETCH_LINGER_MS (0: it always does). Slower than this a fetch rarely
   * finds company within the linger, which would only add its wait to each message.
   */
  KAFKA_FETCH_LINGER_MIN_RATE: z.coerce.number().int().min(0).max(1_000_000).default(200),
  /**
   * The most pixels an uploaded image may have (width x height, read from its header before any
   * decoding): a decompression bomb is refused at once (libvips' own default is ~268 million).
   */
  IMAGE_MAX_PIXELS: z.coerce.number().int().min(1).max(268_402_689).default(40_000_000),
  /** The display version's longest side, in pixels (never enlarged). */
  IMAGE_DISPLAY_MAX_SIDE: z.coerce.number().int().min(64).max(8192).default(1600),
  /** The thumbnail's longest side, in pixels. */
  IMAGE_THUMB_MAX_SIDE: z.coerce.number().int().min(16).max(1024).default(320),
  /**
   * The timers (seconds, comma-separated) a conversation's disappearing messages may have; the
   * protocol's DISAPPEARING_TIMERS_S (5 minutes, 1 hour, 1 day, 1 week) by default.
   */
  DISAPPEARING_TIMERS_S: z
    .string()
    .default(DISAPPEARING_TIMERS_S.join(','))
    .transform((list) => list.split(',').map((s) => Number(s.trim())))
    .pipe(
      z
        .array(
          z
            .number()
            .int()
            .min(1)
            .max(365 * 24 * 3600),
        )
        .min(1)
        .max(20),
    ),
  /** How often storage deletes what expired (content and images of disappearing messages). */
  EXPIRY_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
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
