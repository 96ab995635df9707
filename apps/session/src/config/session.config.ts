import { commonEnv, kafkaConsumerEnv, loadConfig, portEnv, redisEnv } from '@parley/common';
import { z } from 'zod/v4';

/** Session's environment: Kafka (gateway heartbeats) and Redis (the live-gateway table). */
export const sessionEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  // A connection event is what routes a new socket: lingering here would only delay the first
  // messages it is pushed (the events are few: one per socket opened or closed).
  KAFKA_FETCH_LINGER_MS: kafkaConsumerEnv.KAFKA_FETCH_LINGER_MS.removeDefault().default(0),
  ...portEnv(3010),
  ...redisEnv,
  /**
   * How long a gateway stays listed after its last heartbeat: three missed beats of an idle
   * gateway (GATEWAY_HEARTBEAT_IDLE_MS, 3 s). Raise it with the gateways' interval.
   */
  GATEWAY_TTL_MS: z.coerce.number().int().min(1000).default(9000),
});

export type SessionConfig = z.output<typeof sessionEnvSchema>;

export function loadSessionConfig(env: NodeJS.ProcessEnv = process.env): SessionConfig {
  return loadConfig(sessionEnvSchema, env);
}
