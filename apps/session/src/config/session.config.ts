import { commonEnv, kafkaConsumerEnv, loadConfig, portEnv, redisEnv } from '@parley/common';
import { z } from 'zod';

/** Session's environment: Kafka (gateway heartbeats) and Redis (the live-gateway table). */
export const sessionEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  ...portEnv(3010),
  ...redisEnv,
  /**
   * How long a gateway stays listed after its last heartbeat: 3 missed beats at the gateways'
   * default GATEWAY_HEARTBEAT_MS of 3000. Raise it with the gateways' interval.
   */
  GATEWAY_TTL_MS: z.coerce.number().int().min(1000).default(9000),
});

export type SessionConfig = z.output<typeof sessionEnvSchema>;

export function loadSessionConfig(env: NodeJS.ProcessEnv = process.env): SessionConfig {
  return loadConfig(sessionEnvSchema, env);
}
