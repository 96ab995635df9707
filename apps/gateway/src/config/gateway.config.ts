import {
  blobStoreEnv,
  commonEnv,
  databaseEnv,
  loadConfig,
  portEnv,
  redisEnv,
} from '@parley/common';
import { DEFAULT_MAX_FRAME_BYTES, fieldGiven, urlString } from '@parley/protocol';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod/v4';

/**
 * Secrets that were ever published in Parley's source (the old development default): anyone can
 * sign tokens with them, so they are refused everywhere, development included.
 */
export const PUBLISHED_JWT_SECRETS: readonly string[] = [
  'parley-development-only-jwt-secret-change-me',
];

/** Hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** `a,b,c` -> trimmed non-empty items. */
const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** A browser origin: scheme, host and port only (what the Origin header carries). */
const ORIGIN = /^https?:\/\/[^/\s?#]+$/;

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
    GATEWAY_PUBLIC_URL: urlString()
      .refine((v) => /^wss?:\/\//.test(v), { message: 'must be a ws:// or wss:// URL' })
      .optional(),
    /**
     * The HS256 signing key of access tokens, shared by every gateway. Required unless this is
     * a development or test gateway listening on loopback only, which then makes a random one
     * for its own lifetime (tokens do not carry over to another gateway or a restart).
     */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ACCESS_TTL_SECONDS: positiveInt(900),
    REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
    /**
     * How long after a refresh token is rotated it may be presented once more, while its
     * replacement is unused, without ending the session: the rotation's answer was lost (a
     * dropped connection, a gateway that died before answering, a client retrying on another).
     * A replaced token presented later, or after its replacement was used, is theft. 0: no grace.
     */
    REFRESH_TOKEN_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
    /**
     * Failed log-ins for one username from one client address before that pair is refused
     * (429) for the window. Other addresses are unaffected, so strangers cannot lock the owner out.
     */
    LOGIN_THROTTLE_MAX_FAILURES: positiveInt(5),
    /** Failures tolerated per client address (higher than per username: NAT puts many users behind one address). */
    LOGIN_THROTTLE_MAX_ADDRESS_FAILURES: positiveInt(20),
    /**
     * Failures for one username from ALL addresses past which every further attempt for it is
     * slowed (progressively, up to LOGIN_MAX_DELAY_MS) instead of refused: a distributed guesser
     * is slowed down, the owner still gets in.
     */
    LOGIN_SLOWDOWN_AFTER_FAILURES: positiveInt(10),
    LOGIN_MAX_DELAY_MS: z.coerce.number().int().min(0).max(30_000).default(5000),
    LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt(900),
    /** Registrations per client address per window (429 past it). */
    REGISTER_MAX_PER_ADDRESS: positiveInt(10),
    REGISTER_WINDOW_SECONDS: positiveInt(3600),
    /**
     * Addresses the registration limit does not apply to (comma-separated). For development and
     * test stacks on loopback, where the load tool and the tests create many users; never set it
     * to an address other people's requests arrive from.
     */
    REGISTER_EXEMPT_ADDRESSES: list,
    /** User searches (`GET /v1/users`) per user per minute (429 past it). */
    USER_SEARCH_MAX_PER_MINUTE: positiveInt(60),
    ...blobStoreEnv,
    /** The largest image upload, in bytes (413 `image_too_large` past it; read no further). */
    IMAGE_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    /** Image uploads per user per minute (429 past it), refused ones included. */
    IMAGE_UPLOADS_PER_MINUTE: positiveInt(30),
    /** What one user's stored images may take, both served sizes counted (413 `quota_exceeded`). */
    IMAGE_QUOTA_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(1024 * 1024 * 1024),
    /** How long an upload waits for storage to process it (503 past it; the client uploads again). */
    IMAGE_PROCESS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(30_000),
    /**
     * How often this gateway checks whether to tell session it is alive: it beats when its
     * connection count changed or the directory lost its entry, and at least every
     * GATEWAY_HEARTBEAT_IDLE_MS otherwise. Also the period of its lease and routing checks.
     */
    GATEWAY_HEARTBEAT_MS: z.coerce.number().int().min(100).default(1000),
    /**
     * The longest a gateway goes without a heartbeat while nothing changes (session drops it
     * after GATEWAY_TTL_MS, 9 s: three missed idle beats). An idle stack's Kafka traffic.
     */
    GATEWAY_HEARTBEAT_IDLE_MS: z.coerce.number().int().min(100).default(3000),
    /**
     * Express `trust proxy`: which peers may set X-Forwarded-For (the client address is
     * throttled). Off by default: set it to the address of a reverse proxy you run.
     */
    TRUST_PROXY: z.string().min(1).default('false'),
    /**
     * Browser origins allowed to open a WebSocket (comma-separated, e.g. https://chat.example.org).
     * A handshake with any other Origin is refused with 403; one without Origin (a native client)
     * is let through. Default: the origin of GATEWAY_PUBLIC_URL.
     */
    WS_ALLOWED_ORIGINS: list.pipe(
      z.array(z.string().regex(ORIGIN, 'must be http(s)://host[:port] origins')),
    ),
    /** Lifetime of a single-use WebSocket connect ticket. */
    CONNECT_TICKET_TTL_SECONDS: positiveInt(30),
    /** Largest WebSocket frame accepted; a bigger one closes the socket with 1009. */
    WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_MAX_FRAME_BYTES),
    /**
     * Ping interval; a socket that has not answered the previous ping by the next is terminated.
     * 25 s keeps NAT mappings and proxies open, and is most of an idle gateway's CPU (a ping and a
     * pong per socket per interval). The sockets are pinged in slices spread over the interval
     * (PingWheel), not all at once.
     */
    WS_PING_INTERVAL_MS: z.coerce.number().int().min(100).default(25000),
    /** Frames waiting to be processed on one socket before further frames are refused (overloaded). */
    WS_MAX_QUEUED_FRAMES: positiveInt(4096),
    /** Bytes of frames waiting to be handled on one socket past which it stops reading (backpressure). */
    WS_MAX_QUEUED_BYTES: positiveInt(1024 * 1024),
    /** Outgoing bytes backed up on one socket past which it is closed (1013): a client not reading. */
    WS_MAX_BUFFERED_BYTES: positiveInt(1024 * 1024),
    /**
     * How long a send's `accepted` frame may wait for the socket's next frame (usually the send's
     * `ack`, a few milliseconds behind) so both leave in one write: one syscall fewer per send on
     * the gateway and on the client. 0 writes it at once.
     */
    WS_ACCEPTED_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(50),
    /** Open sockets per user, over every gateway; one more is refused with HTTP 429. */
    MAX_SOCKETS_PER_USER: positiveInt(16),
    /** Sends per second one socket may sustain, and its burst (token bucket). */
    SEND_RATE_PER_SOCKET: positiveInt(20),
    SEND_BURST_PER_SOCKET: positiveInt(100),
    /** Sends per second one user may sustain over all their sockets and gateways, and the burst. */
    SEND_RATE_PER_USER: positiveInt(30),
    SEND_BURST_PER_USER: positiveInt(200),
    /** Other frames (sync, history, cursors, auth) per second per socket, and the burst. */
    FRAME_RATE_PER_SOCKET: positiveInt(100),
    FRAME_BURST_PER_SOCKET: positiveInt(500),
    /** Longest message text, in Unicode code points. */
    MESSAGE_MAX_LENGTH: z.coerce.number().int().min(1).max(100_000).default(4000),
    /** How long a client action waits for Kafka's ack before answering `unavailable`. */
    KAFKA_PUBLISH_TIMEOUT_MS: positiveInt(10000),
    /** How long a publish may wait for others to share its produce request (0 = send at once). */
    KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
    /**
     * Records a second (this gateway's, over the last second) under which a publish does not wait
     * KAFKA_LINGER_MS (0: it always does). Slower than this a request rarely finds company within
     * the linger, which would only add its wait to each send.
     */
    KAFKA_LINGER_MIN_RATE: z.coerce.number().int().min(0).max(1_000_000).default(200),
    /**
     * The same for connection events (opened, closed, foreground/background): no client waits on
     * them, so a reconnect storm's go to the broker in a few requests instead of one per socket.
     */
    CONNECTION_EVENTS_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(50),
    /**
     * How long delivered and read cursor moves are gathered before they go to Kafka as one
     * `cursors.moved` record (each cursor once, at its highest seq).
     */
    CURSOR_FLUSH_MS: z.coerce.number().int().min(10).max(10_000).default(250),
    /**
     * A user's activity (sends, reads, typing, opening a conversation, coming to the foreground)
     * goes to presence at most once per this window per user from one gateway, with its latest time.
     */
    PRESENCE_ACTIVITY_COALESCE_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    /** `GET /v1/presence` reads per user per minute. */
    PRESENCE_READS_PER_MINUTE: positiveInt(120),
    /** Records queued for Kafka past which sends are refused with `overloaded`. */
    KAFKA_MAX_PENDING: positiveInt(10000),
    /** Sends accepted but not yet acked (stored) past which new sends get `overloaded`. */
    GATEWAY_MAX_UNACKED_SENDS: positiveInt(5000),
    /** The same bound for one connection. */
    GATEWAY_MAX_UNACKED_PER_CONNECTION: positiveInt(2000),
    /** The web client's build (Vite's output), served from the gateway's origin. */
    WEB_ROOT: z
      .string()
      .min(1)
      .default(join(__dirname, '..', '..', '..', '..', 'web')),
    /** Messages per sync page: v1's default (a client may ask for up to 500), v2's cap. */
    SYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(200),
    /** Sync v2: messages sent in one round at most (the rest in the device's next round). */
    SYNC_ROUND_MAX_MESSAGES: z.coerce.number().int().min(10).max(100_000).default(2000),
    /** Sync v2: conversation states one round may carry (over its frames). */
    SYNC_ROUND_MAX_STATES: z.coerce.number().int().min(100).max(100_000).default(10_000),
    /** Sync v2: state digests remembered per gateway process (about 250 bytes each). */
    SYNC_DIGEST_CACHE_ENTRIES: z.coerce.number().int().min(0).max(10_000_000).default(50_000),
    /** Sync v2: live pushes held per socket while its sync runs; past it, another round. */
    SYNC_MAX_HELD_PUSHES: positiveInt(1000),
    /**
     * Sync v2: how long a socket's first round waits for session to know the socket (so every
     * message stored after the round read the database is pushed to it).
     */
    SYNC_ROUTABLE_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
  })
  .superRefine((env, ctx) => {
    const problem = (message: string) =>
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message });
    if (env.JWT_SECRET !== undefined && PUBLISHED_JWT_SECRETS.includes(env.JWT_SECRET)) {
      problem("is a secret published in Parley's source; generate your own (openssl rand -hex 32)");
    } else if (!fieldGiven(ctx, 'JWT_SECRET') && !isLocalDevelopment(env)) {
      problem(
        'is required (32+ random characters, the same on every gateway) unless NODE_ENV is development or test and HOST is a loopback address',
      );
    }
  })
  .transform((env, ctx) => {
    // zod 4 runs a transform even when a check failed (a PORT out of range is then missing from
    // `env`); zod 3 did not. The parse fails with those problems anyway.
    if (ctx.issues.length > 0) return z.NEVER;
    const publicUrl = env.GATEWAY_PUBLIC_URL ?? `ws://${env.HOST}:${env.PORT}/ws`;
    return {
      ...env,
      GATEWAY_ID: env.GATEWAY_ID ?? `gateway-${env.PORT}`,
      GATEWAY_PUBLIC_URL: publicUrl,
      JWT_SECRET: env.JWT_SECRET ?? randomBytes(32).toString('base64url'),
      /** True when JWT_SECRET was made up for this process (loopback development only). */
      JWT_SECRET_EPHEMERAL: env.JWT_SECRET === undefined,
      WS_ALLOWED_ORIGINS:
        env.WS_ALLOWED_ORIGINS.length > 0 ? env.WS_ALLOWED_ORIGINS : [originOf(publicUrl)],
    };
  });

function isLocalDevelopment(env: { NODE_ENV: string; HOST: string }): boolean {
  return env.NODE_ENV !== 'production' && isLoopbackHost(env.HOST);
}

/** The browser origin a page served next to a ws(s):// URL has: ws -> http, wss -> https. */
export function originOf(socketUrl: string): string {
  const url = new URL(socketUrl);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayEnvSchema, env);
}
