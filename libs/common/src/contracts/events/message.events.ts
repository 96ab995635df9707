import { z } from 'zod/v4';
import { defineEvent } from '../envelope';
import { originSchema } from './ids';
import {
  clientMsgIdSchema,
  conversationIdSchema,
  deliveredMessageSchema,
  isoTimeSchema,
  messageTextSchema,
  userIdSchema,
  usernameSchema,
} from '@parley/protocol';

/**
 * A client's send, accepted by a gateway: Kafka holds it (safe, not yet stored). Keyed by
 * conversationId so one conversation's sends stay in order on one partition. The sender is the
 * authenticated connection's user, never a value from the client's frame.
 */
export const MessageAcceptedV1 = defineEvent(
  'message.accepted',
  1,
  z
    .object({
      conversationId: conversationIdSchema,
      senderId: userIdSchema,
      senderUsername: usernameSchema,
      clientMsgId: clientMsgIdSchema,
      text: messageTextSchema,
      acceptedAt: isoTimeSchema,
      origin: originSchema,
    })
    .strict(),
);

/**
 * A message is durable in PostgreSQL with its conversation sequence number. Emitted by storage
 * after the commit, once per accepted send: `duplicate: true` when the (sender, clientMsgId) was
 * already stored (a retry), carrying the ORIGINAL seq and server time, so the retry gets the same
 * ack and recipients are not sent the message twice.
 */
export const MessageStoredV1 = defineEvent(
  'message.stored',
  1,
  deliveredMessageSchema
    .extend({
      /** Every member of the conversation when it was stored (the fan-out list). */
      memberIds: z.array(userIdSchema).min(1),
      origin: originSchema,
      duplicate: z.boolean(),
      /** The accepted send's `acceptedAt`, carried for per-hop tracing (absent on older events). */
      acceptedAt: isoTimeSchema.optional(),
    })
    .strict(),
);
