import { commonEnv, kafkaConsumerEnv, loadConfig, portEnv, redisEnv } from '@parley/common';
import { z } from 'zod/v4';

/** Session's environment: Kafka (gateway heartbeats) and Redis (the live-gateway table). */
export const sessionEnvSchema = z.object({
  ...commonEnv,
  ...kafkaConsumerEnv,
  // A new socket is routable from its admission (the gateway writes its entry in the same Redis
  // call); session's copy from `connection.opened` only restores entries Redis lost. So its
  // events can wait to come in batches: without a linger a connect storm cost a fetch and an
  // offset commit per socket.
  KAFKA_FETCH_LINGER_MS: kafkaConsumerEnv.KAFKA_FETCH_LINGER_MS.removeDefault().default(50),
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
