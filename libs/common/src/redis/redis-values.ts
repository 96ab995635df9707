import {
  connectionIdSchema,
  deliveredMessageSchema,
  deviceIdSchema,
  gatewayIdSchema,
  isoTimeSchema,
  userIdSchema,
  usernameSchema,
} from '@parley/protocol';
import { z } from 'zod';

/**
 * Every Redis key Parley uses and the schema of every value stored under one: one definition per
 * value, used by every app that reads or writes it (session writes the directory and device
 * locations, gateways read them; gateways write tickets, admissions and sessions).
 */

/**
 * The last hop, session -> the gateway box holding the recipients' sockets. One DeliveryBatch per
 * gateway box per stored batch (not one per member), published on the Redis channel
 * `deliveryChannel(gatewayId)`. It needs no durability of its own: the message is already in
 * PostgreSQL, and a device that misses a push gets it from offline sync past its delivered cursor.
 */
export const deliveryBatchSchema = z
  .object({
    version: z.literal(1),
    items: z.array(
      z
        .object({
          message: deliveredMessageSchema,
          /** Sockets on this box that get the message as `message`. */
          connectionIds: z.array(connectionIdSchema),
          /** The socket that sent it (if on this box): it gets `ack` instead. */
          ackConnectionId: connectionIdSchema.optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type DeliveryBatch = z.output<typeof deliveryBatchSchema>;

/** Redis key layout. */
export const RedisKeys = {
  /** Pub/sub channel a gateway box subscribes to for its deliveries. */
  deliveryChannel: (gatewayId: string) => `parley:deliveries:${gatewayId}`,
  /** Hash connectionId -> JSON {deviceId, gatewayId, since}: where a user's devices are. */
  userConnections: (userId: string) => `parley:user:${userId}:connections`,
  /** Live-gateway directory (written by session from heartbeats). */
  gateway: (gatewayId: string) => `parley:gateway:${gatewayId}`,
  gatewaysByLoad: 'parley:gateways:by-load',
  /** Single-use connect ticket, by SHA-256 of the ticket. */
  connectTicket: (ticketHash: string) => `parley:ticket:${ticketHash}`,
  /** Cached member set of a conversation (members never change for 1:1). */
  conversationMembers: (conversationId: string) => `parley:conversation:${conversationId}:members`,
  /** Broadcast pub/sub channel every gateway subscribes to: GatewayControl messages. */
  gatewayControlChannel: 'parley:gateway-control',
  /** The running instance of a gateway id (random per process), with a lease its heartbeat renews. */
  gatewayInstance: (gatewayId: string) => `parley:gateway:${gatewayId}:instance`,
  /** Hash connectionId -> "gatewayId instanceId deviceId": a user's open sockets (the socket cap). */
  userSockets: (userId: string) => `parley:user:${userId}:sockets`,
  /** Set while a log-in session is ended: its access tokens are refused until they expire. */
  sessionEnded: (sessionId: string) => `parley:session:${sessionId}:ended`,
  /** A user's send budget over every gateway (token bucket: tokens, last refill time). */
  userSendQuota: (userId: string) => `parley:user:${userId}:send-quota`,
  /** Fixed-window counters of the HTTP throttles (log-in, registration, search). */
  throttle: (kind: string, subject: string) => `parley:throttle:${kind}:${subject}`,
} as const;

/**
 * Messages on `gatewayControlChannel`: one gateway (or the accounts path) telling every gateway to
 * close sockets it may hold. Fire-and-forget, like deliveries; what a missed message would leave
 * open is bounded anyway (a socket lives only as long as the access token it was authorized with).
 */
export const gatewayControlSchema = z.discriminatedUnion('action', [
  z
    .object({
      version: z.literal(1),
      action: z.literal('session-ended'),
      sessionId: z.string().uuid(),
    })
    .strict(),
  z
    .object({
      version: z.literal(1),
      action: z.literal('connections-replaced'),
      connectionIds: z.array(connectionIdSchema).min(1).max(1000),
    })
    .strict(),
]);
export type GatewayControl = z.output<typeof gatewayControlSchema>;

/**
 * `RedisKeys.gateway(id)`: one live gateway in the directory, written by session on each
 * heartbeat with a TTL of three missed beats; gateways read it to answer `POST /v1/connect`.
 */
export const liveGatewaySchema = z.object({
  gatewayId: gatewayIdSchema,
  publicUrl: z.string().regex(/^wss?:\/\//),
  connections: z.number().int().min(0),
  startedAt: isoTimeSchema,
  lastHeartbeatAt: isoTimeSchema,
});
export type LiveGateway = z.output<typeof liveGatewaySchema>;

/**
 * A field of `RedisKeys.userConnections(userId)` (field: connectionId): where one socket of the
 * user's device is. Session writes it from connection events and reads it to fan out.
 */
export const deviceLocationSchema = z.object({
  deviceId: deviceIdSchema,
  gatewayId: gatewayIdSchema,
  since: isoTimeSchema,
});
export type DeviceLocation = z.output<typeof deviceLocationSchema>;

/**
 * `RedisKeys.connectTicket(sha256(ticket))`: what a single-use connect ticket stands for, written
 * by the gateway that issued it, consumed (GETDEL) by the gateway it names.
 */
export const ticketGrantSchema = z
  .object({
    userId: userIdSchema,
    username: usernameSchema,
    deviceId: deviceIdSchema,
    gatewayId: gatewayIdSchema,
    /** The log-in session (access token `sid`): ending it closes the socket. */
    sessionId: z.string().uuid(),
    /** The access token's `exp` (epoch seconds): the socket's authorization ends then. */
    expiresAt: z.number().int().positive(),
    /** The socket starts with a sync v2 round: hold live pushes until it converges. */
    sync: z.literal('v2').optional(),
  })
  .strict();
export type TicketGrant = z.output<typeof ticketGrantSchema>;

/** Parses one stored JSON value with its schema; null when absent, not JSON or not valid. */
export function parseRedisValue<S extends z.ZodTypeAny>(
  schema: S,
  raw: string | null,
): z.output<S> | null {
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as z.output<S>) : null;
  } catch {
    return null;
  }
}
