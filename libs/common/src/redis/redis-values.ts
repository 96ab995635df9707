import {
  clientMsgIdSchema,
  connectionIdSchema,
  conversationIdSchema,
  deliveredMessageSchema,
  deviceIdSchema,
  ErrorCode,
  gatewayIdSchema,
  isoTimeSchema,
  GROUP_MAX_MEMBERS,
  imageIdSchema,
  memberReceiptSchema,
  messageImageSchema,
  seqSchema,
  userIdSchema,
  usernameSchema,
} from '@parley/protocol';
import { z } from 'zod/v4';

/**
 * Every Redis key Parley uses and the schema of every value stored under one: one definition per
 * value, used by every app that reads or writes it (session writes the directory and device
 * locations, gateways and storage read them; gateways write tickets, admissions and sessions).
 */

/**
 * The last hop, storage -> the gateway box holding the recipients' sockets. One DeliveryBatch per
 * gateway box per committed batch (not one per member), published on the Redis channel
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
          /**
           * The socket that sent it (if on this box: for a channel's message, on whichever box
           * holds it): it gets `ack` instead.
           */
          ackConnectionId: connectionIdSchema.optional(),
          /** The send's `acceptedAt`, for per-hop tracing (parley_message_hop_seconds). */
          acceptedAt: isoTimeSchema.optional(),
          /**
           * A channel's message (on RedisChannels.channelDeliveries): it goes to every socket on
           * the box subscribed to the channel, but `originConnectionId` (which gets its `ack`,
           * from this same item).
           */
          channel: z.literal(true).optional(),
          originConnectionId: connectionIdSchema.optional(),
        })
        .strict(),
    ),
    /**
     * `ack`s that carry no message: a channel's silent membership change (join, leave, add,
     * remove) answered at the channel's last seq.
     */
    acks: z
      .array(
        z
          .object({
            connectionId: connectionIdSchema,
            clientMsgId: clientMsgIdSchema,
            conversationId: conversationIdSchema,
            seq: seqSchema,
            serverTime: isoTimeSchema,
          })
          .strict(),
      )
      .optional(),
    /**
     * Sends and group changes storage refused in the conversation's order (the sender is no
     * longer a member, or not an admin), for the origin socket on this box: an `error` frame
     * carrying the clientMsgId.
     */
    refusals: z
      .array(
        z
          .object({
            connectionId: connectionIdSchema,
            clientMsgId: clientMsgIdSchema,
            code: z.enum([ErrorCode.Forbidden, ErrorCode.ValidationFailed]),
            message: z.string().max(200),
          })
          .strict(),
      )
      .optional(),
    /**
     * Members' receipt cursors that moved (storage's cursor step), each for the sockets on this
     * box of that conversation's members: a `receipt` frame on each.
     */
    receipts: z
      .array(
        z
          .object({
            receipt: memberReceiptSchema.strict(),
            connectionIds: z.array(connectionIdSchema),
          })
          .strict(),
      )
      .optional(),
    /**
     * Members typing (presence's typing step), for these sockets on this box: a `typing` frame on
     * each, unless `expiresAt` already passed (late typing is dropped, never shown).
     */
    typing: z
      .array(
        z
          .object({
            conversationId: conversationIdSchema,
            userId: userIdSchema,
            username: usernameSchema,
            expiresAt: isoTimeSchema,
            connectionIds: z.array(connectionIdSchema),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type DeliveryBatch = z.output<typeof deliveryBatchSchema>;

/**
 * Redis key layout. Every key is written through a connection whose `keyPrefix` is
 * `redisKeyPrefix(PARLEY_CLUSTER_ID)` (RedisModule), so the stored names are
 * `parley:<cluster>:<key>`: stacks sharing one Redis (even one database) never see each other's
 * keys. Pub/sub channels ignore both the prefix and the database number: they carry the cluster id
 * themselves (RedisChannels).
 */
export const RedisKeys = {
  /** Hash connectionId -> JSON {deviceId, gatewayId, since}: where a user's devices are. */
  userConnections: (userId: string) => `user:${userId}:connections`,
  /** Live-gateway directory (written by session from heartbeats). */
  gateway: (gatewayId: string) => `gateway:${gatewayId}`,
  gatewaysByLoad: 'gateways:by-load',
  /** Single-use connect ticket, by SHA-256 of the ticket. */
  connectTicket: (ticketHash: string) => `ticket:${ticketHash}`,
  /**
   * Cached member set of a conversation (members never change for 1:1; storage deletes a group's
   * after every membership change).
   */
  conversationMembers: (conversationId: string) => `conversation:${conversationId}:members`,
  /** The running instance of a gateway id (random per process), with a lease its heartbeat renews. */
  gatewayInstance: (gatewayId: string) => `gateway:${gatewayId}:instance`,
  /** Hash connectionId -> "gatewayId instanceId deviceId": a user's open sockets (the socket cap). */
  userSockets: (userId: string) => `user:${userId}:sockets`,
  /** Set while a log-in session is ended: its access tokens are refused until they expire. */
  sessionEnded: (sessionId: string) => `session:${sessionId}:ended`,
  /** A user's send budget over every gateway (token bucket: tokens, last refill time). */
  userSendQuota: (userId: string) => `user:${userId}:send-quota`,
  /**
   * Present while Redis still holds the routing data `owner` (a gateway id, or `session`) saw: a
   * process that can claim it (SET NX) knows the data was lost (FLUSHDB, Redis restarted empty).
   */
  routingMarker: (owner: string) => `routing-marker:${owner}`,
  /**
   * Storage's answer to one upload (ImageResult JSON), kept `IMAGE_RESULT_KEEP_MS` beside its
   * publish on `RedisChannels.imageResults`: a gateway whose subscription dropped reads it there.
   */
  imageResult: (imageId: string) => `image:${imageId}:result`,
  /** Fixed-window counters of the HTTP throttles (log-in, registration, search). */
  throttle: (kind: string, subject: string) => `throttle:${kind}:${subject}`,
  /**
   * Presence's live state of a user (hash): `online` ("1"/"0": what watchers were last told),
   * `seen` (last user activity, epoch ms), `written` (when `seen` last went to PostgreSQL).
   */
  presence: (userId: string) => `presence:${userId}`,
  /** Hash connectionId -> JSON PresenceDevice: the user's open sockets as presence knows them. */
  presenceDevices: (userId: string) => `presence:${userId}:devices`,
  /** Sorted set userId -> when (epoch ms) the user goes offline unless a device comes back. */
  presenceOfflineDue: 'presence:offline-due',
  /**
   * Hash {level, at}: offlines begun, draining at the cluster's reconnect rate (a reconnect storm
   * holds due offlines back until it drains).
   */
  presenceStorm: 'presence:storm',
  /** Set of the gateway ids presence holds devices on (it checks them for death). */
  presenceGateways: 'presence:gateways',
  /** Set of the users presence holds a device of on this gateway. */
  presenceGatewayUsers: (gatewayId: string) => `presence:gateway:${gatewayId}:users`,
} as const;

/** The prefix of every key of one Parley cluster (one stack) in a shared Redis. */
export function redisKeyPrefix(clusterId: string): string {
  return `parley:${clusterId}:`;
}

/** Pub/sub channel names: per cluster, since channels are shared by every database of a Redis. */
export const RedisChannels = {
  /** The channel one gateway box subscribes to for its deliveries. */
  delivery: (clusterId: string, gatewayId: string) => `parley:${clusterId}:deliveries:${gatewayId}`,
  /** The broadcast channel every gateway subscribes to: GatewayControl messages. */
  gatewayControl: (clusterId: string) => `parley:${clusterId}:gateway-control`,
  /**
   * The broadcast channel every gateway subscribes to for channels' messages: one DeliveryBatch
   * per commit for every box, each pushing to its own sockets subscribed to the channel.
   */
  channelDeliveries: (clusterId: string) => `parley:${clusterId}:channel-deliveries`,
  /**
   * One user's presence changes (PresenceChange), published by presence; a gateway subscribes
   * while a socket of its own watches the user, so a change reaches only the boxes that asked.
   */
  presence: (clusterId: string, userId: string) => `parley:${clusterId}:presence:${userId}`,
  /** Storage's answers to one gateway's image uploads (ImageResult), one per `image.uploaded`. */
  imageResults: (clusterId: string, gatewayId: string) =>
    `parley:${clusterId}:image-results:${gatewayId}`,
} as const;

/** How long an upload's answer stays readable at `RedisKeys.imageResult`: a gateway's longest wait. */
export const IMAGE_RESULT_KEEP_MS = 120_000;

/**
 * On `RedisChannels.imageResults(gatewayId)`: an upload processed (`image`, as messages carry
 * it) or refused (`refused`: the error code and a message for people).
 */
export const imageResultSchema = z.discriminatedUnion('outcome', [
  z
    .object({ outcome: z.literal('ready'), imageId: imageIdSchema, image: messageImageSchema })
    .strict(),
  z
    .object({
      outcome: z.literal('refused'),
      imageId: imageIdSchema,
      code: z.enum(['image_type_unsupported', 'image_too_many_pixels', 'image_unreadable']),
      message: z.string().max(200),
    })
    .strict(),
]);
export type ImageResult = z.output<typeof imageResultSchema>;

/** The pattern every `RedisChannels.presence` channel of a cluster matches. */
export function presenceChannelPrefix(clusterId: string): string {
  return `parley:${clusterId}:presence:`;
}

/**
 * On `RedisChannels.presence(userId)`: the user went online or offline, or their last seen moved
 * (`seen`: epoch ms, null if never; built by presence's Redis scripts).
 */
export const presenceChangeSchema = z
  .object({
    version: z.literal(1),
    userId: userIdSchema,
    online: z.boolean(),
    seen: z.number().int().min(0).nullable(),
  })
  .strict();
export type PresenceChange = z.output<typeof presenceChangeSchema>;

/** A field of `RedisKeys.presenceDevices(userId)`: one open socket, as presence knows it. */
export const presenceDeviceSchema = z
  .object({
    gatewayId: gatewayIdSchema,
    foreground: z.boolean(),
    /** When the socket opened (epoch ms): a gateway that started after it no longer holds it. */
    since: z.number().int().min(0),
  })
  .strict();
export type PresenceDevice = z.output<typeof presenceDeviceSchema>;

/**
 * Messages on `RedisChannels.gatewayControl(clusterId)`: one gateway (or the accounts path) telling every gateway to
 * close sockets it may hold, or storage telling every gateway that conversations' members changed
 * (drop them from the member caches; storage already deleted the Redis copy), or which users a
 * channel gained, lost or re-roled (`channel-members`: subscriptions and cached roles follow). Fire-and-forget,
 * like deliveries; what a missed message would leave is bounded anyway (a socket lives only as
 * long as the access token it was authorized with; a member cache entry 60 s, and storage refuses
 * a removed member's send whatever the cache says).
 */
export const gatewayControlSchema = z.discriminatedUnion('action', [
  z
    .object({
      version: z.literal(1),
      action: z.literal('session-ended'),
      sessionId: z.guid(),
    })
    .strict(),
  z
    .object({
      version: z.literal(1),
      action: z.literal('connections-replaced'),
      connectionIds: z.array(connectionIdSchema).min(1).max(1000),
    })
    .strict(),
  z
    .object({
      version: z.literal(1),
      action: z.literal('members-changed'),
      conversationIds: z.array(conversationIdSchema).min(1).max(1000),
    })
    .strict(),
  z
    .object({
      version: z.literal(1),
      action: z.literal('channel-members'),
      conversationId: conversationIdSchema,
      /** New members (their sockets here subscribe to the channel). */
      joined: z.array(userIdSchema).max(GROUP_MAX_MEMBERS),
      /** Former members (their sockets here unsubscribe). */
      left: z.array(userIdSchema).max(GROUP_MAX_MEMBERS),
      /** Members whose role changed (a gateway forgets what it cached of them). */
      roles: z.array(userIdSchema).max(GROUP_MAX_MEMBERS),
    })
    .strict(),
  z
    .object({
      version: z.literal(1),
      action: z.literal('presence-rules'),
      /**
       * Users whose presence choice or contacts changed: every gateway works out again what its
       * sockets watching them, or watched by them, may see.
       */
      userIds: z.array(userIdSchema).min(1).max(1000),
    })
    .strict(),
]);
export type GatewayControl = z.output<typeof gatewayControlSchema>;

/**
 * `RedisKeys.gateway(id)`: one live gateway in the directory, written by session on each
 * heartbeat with a TTL of about two missed beats; gateways read it to answer `POST /v1/connect`.
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
 * user's device is. Session writes it from connection events; storage's fan-out reads it.
 */
export const deviceLocationSchema = z.object({
  deviceId: deviceIdSchema,
  gatewayId: gatewayIdSchema,
  since: isoTimeSchema,
});
export type DeviceLocation = z.output<typeof deviceLocationSchema>;

/**
 * `RedisKeys.connectTicket(sha256(ticket))`: what a single-use connect ticket stands for, written
 * by the gateway that issued it, consumed (GETDEL) by the gateway it names or one of its backups.
 */
export const ticketGrantSchema = z
  .object({
    userId: userIdSchema,
    username: usernameSchema,
    deviceId: deviceIdSchema,
    gatewayId: gatewayIdSchema,
    /** The answer's backups: the ticket opens a socket on any of them too (once, on one). */
    backupGatewayIds: z.array(gatewayIdSchema).max(4).optional(),
    /** The log-in session (access token `sid`): ending it closes the socket. */
    sessionId: z.guid(),
    /** The access token's `exp` (epoch seconds): the socket's authorization ends then. */
    expiresAt: z.number().int().positive(),
    /** The socket starts with a sync v2 round: hold live pushes until it converges. */
    sync: z.literal('v2').optional(),
    /**
     * A resume ticket (handed out in a socket's `hello`): it opens the device's next socket on
     * any gateway of the cluster, not only the one named (`gatewayId` is the gateway that issued it).
     */
    resume: z.literal(true).optional(),
  })
  .strict();
export type TicketGrant = z.output<typeof ticketGrantSchema>;

/** Parses one stored JSON value with its schema; null when absent, not JSON or not valid. */
export function parseRedisValue<S extends z.ZodType>(
  schema: S,
  raw: string | null,
): z.output<S> | null {
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
