import { commonEnv, databaseEnv, loadConfig, portEnv, redisEnv } from '@parley/common';
import { z } from 'zod';

/** Used only outside production, so a fresh checkout runs without configuration. */
export const DEV_JWT_SECRET = 'parley-development-only-jwt-secret-change-me';

const positiveInt = (defaultValue: number) =>
  z.coerce.number().int().positive().default(defaultValue);

/**
 * The gateway's environment. Every problem names its variable; values are never echoed.
 * Defaults that depend on other variables (GATEWAY_ID, GATEWAY_PUBLIC_URL, JWT_SECRET) are
 * resolved after the base parse.
 */
export const gatewayEnvSchema = z
  .object({
    ...commonEnv,
    ...portEnv(3000),
    ...databaseEnv,
    ...redisEnv,
    GATEWAY_ID: z
      .string()
      .regex(/^[\w.-]{1,64}$/, 'must be 1-64 chars of letters, digits, _ . -')
      .optional(),
    GATEWAY_PUBLIC_URL: z
      .string()
      .url()
      .refine((v) => /^wss?:\/\//.test(v), { message: 'must be a ws:// or wss:// URL' })
      .optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ACCESS_TTL_SECONDS: positiveInt(900),
    REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
    LOGIN_THROTTLE_MAX_FAILURES: positiveInt(5),
    /** Failures tolerated per client address (higher than per username: NAT puts many users behind one address). */
    LOGIN_THROTTLE_MAX_ADDRESS_FAILURES: positiveInt(20),
    LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt(900),
    GATEWAY_HEARTBEAT_MS: z.coerce.number().int().min(100).default(3000),
    /** Express `trust proxy`: which peers may set X-Forwarded-For (the client address is throttled). */
    TRUST_PROXY: z.string().min(1).default('loopback'),
    /** Lifetime of a single-use WebSocket connect ticket. */
    CONNECT_TICKET_TTL_SECONDS: positiveInt(30),
    /** Largest WebSocket frame accepted; a bigger one closes the socket with 1009. */
    WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(16384),
    /** Ping interval; a socket that has not answered the previous ping by the next is terminated. */
    WS_PING_INTERVAL_MS: z.coerce.number().int().min(100).default(15000),
    /** Frames waiting to be processed on one socket before further frames are refused (overloaded). */
    WS_MAX_QUEUED_FRAMES: positiveInt(4096),
    /** Longest message text, in Unicode code points. */
    MESSAGE_MAX_LENGTH: z.coerce.number().int().min(1).max(100_000).default(4000),
    /** How long a client action waits for Kafka's ack before answering `unavailable`. */
    KAFKA_PUBLISH_TIMEOUT_MS: positiveInt(10000),
    /** How long a publish may wait for others to share its produce request (0 = send at once). */
    KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
    /** Records queued for Kafka past which sends are refused with `overloaded`. */
    KAFKA_MAX_PENDING: positiveInt(10000),
    /** Sends accepted but not yet acked (stored) past which new sends get `overloaded`. */
    GATEWAY_MAX_UNACKED_SENDS: positiveInt(5000),
    /** The same bound for one connection. */
    GATEWAY_MAX_UNACKED_PER_CONNECTION: positiveInt(2000),
    /** Default offline-sync page size (a client may ask for up to 500). */
    SYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(200),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['JWT_SECRET'],
        message: 'is required in production',
      });
    } else if (env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['JWT_SECRET'],
        message: 'must not be the development default in production',
      });
    }
  })
  .transform((env) => ({
    ...env,
    GATEWAY_ID: env.GATEWAY_ID ?? `gateway-${env.PORT}`,
    GATEWAY_PUBLIC_URL: env.GATEWAY_PUBLIC_URL ?? `ws://${env.HOST}:${env.PORT}/ws`,
    JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET,
  }));

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayEnvSchema, env);
}
