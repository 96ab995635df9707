import { z } from 'zod/v4';
import { defineEvent } from '../envelope';
import { originSchema } from './ids';
import {
  clientMsgIdSchema,
  conversationIdSchema,
  eventUserSchema,
  GROUP_MAX_MEMBERS,
  groupChangeSchemaOf,
  isoTimeSchema,
  messageImageSchema,
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
      /** The image (processed, checked to be the sender's upload by the gateway); `text` is its caption. */
      image: messageImageSchema.optional(),
      acceptedAt: isoTimeSchema,
      origin: originSchema,
    })
    .strict()
    .refine((m) => m.text !== '' || m.image !== undefined, {
      message: 'must not be empty without an image',
      path: ['text'],
    }),
);

/** The users a change names, resolved by the gateway (id and username). */
const changeUsers = z.array(eventUserSchema).min(1).max(GROUP_MAX_MEMBERS);

/**
 * The change a `group` frame asked for, with usernames resolved to users by the gateway. Storage
 * decides it (the actor's role, the current members) in the conversation's order.
 */
export const groupChangeSchema = groupChangeSchemaOf(changeUsers, changeUsers);
export type GroupChange = z.output<typeof groupChangeSchema>;

/**
 * A group change a gateway accepted (a `group` frame), on the same topic and key as the
 * conversation's sends, so storage applies it between the messages around it: it takes the next
 * seq, and a send storage persists after a removal is refused for the removed member. For
 * `create` the gateway chose the new conversation's id. `clientMsgId` is the idempotency key, as
 * for a send (a retry applies the change once).
 */
export const GroupChangeAcceptedV1 = defineEvent(
  'group.change-accepted',
  1,
  z
    .object({
      conversationId: conversationIdSchema,
      senderId: userIdSchema,
      senderUsername: usernameSchema,
      clientMsgId: clientMsgIdSchema,
      change: groupChangeSchema,
      acceptedAt: isoTimeSchema,
      origin: originSchema,
    })
    .strict(),
);
