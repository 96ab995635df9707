import {
  commonEnv,
  databaseEnv,
  kafkaConsumerEnv,
  loadConfig,
  portEnv,
  redisEnv,
} from '@parley/common';
import { z } from 'zod/v4';

const ms = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

/**
 * Presence's environment: Kafka (device, activity and typing events in), Redis (the live state,
 * changes out, typing to the gateway boxes) and PostgreSQL (last seen, written coalesced).
 */
export const presenceEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  // A storm of connection events (a gateway's clients failing over) is taken in a few fetches
  // rather than one each, yet typing stays well inside its second.
  KAFKA_FETCH_LINGER_MS: kafkaConsumerEnv.KAFKA_FETCH_LINGER_MS.removeDefault().default(100),
  ...portEnv(3011),
  ...databaseEnv,
  ...redisEnv,
  /**
   * How long a user whose last foreground device left stays online before watchers are told
   * (a device switching networks, or failing over to another gateway, comes back within it).
   */
  PRESENCE_OFFLINE_GRACE_MS: ms(0, 60_000, 5000),
  /**
   * A reconnect storm: every offline begun fills a bucket that drains at PRESENCE_RECONNECTS_PER_S
   * (the rate the cluster takes devices back); while it holds more than a second's worth, due
   * offlines wait (at most PRESENCE_MAX_HOLD_MS past their grace), so a gateway dying or a
   * network blip for thousands is not thousands of offline-then-online pairs. Ordinary churn
   * (below that rate) is never held.
   */
  PRESENCE_RECONNECTS_PER_S: z.coerce.number().int().min(1).max(1_000_000).default(150),
  PRESENCE_MAX_HOLD_MS: ms(0, 3_600_000, 120_000),
  /** How often due offlines are taken, and gateways checked for death. */
  PRESENCE_SWEEP_MS: ms(100, 10_000, 1000),
  /** While a user is active, last seen goes to PostgreSQL at most this often (and when they go offline). */
  PRESENCE_WRITE_INTERVAL_MS: ms(1000, 3_600_000, 60_000),
  /** A typing signal older than this when presence takes it is dropped, not delivered late. */
  TYPING_MAX_DELAY_MS: ms(100, 10_000, 1000),
});

export type PresenceConfig = z.output<typeof presenceEnvSchema>;

export function loadPresenceConfig(env: NodeJS.ProcessEnv = process.env): PresenceConfig {
  return loadConfig(presenceEnvSchema, env);
}
