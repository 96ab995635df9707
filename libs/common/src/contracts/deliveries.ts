import { z } from 'zod';
import { connectionIdSchema } from './events/ids';
import { deliveredMessageSchema } from './events/message.events';

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

/** Redis key layout shared by session (writer) and gateways (readers). */
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
} as const;
