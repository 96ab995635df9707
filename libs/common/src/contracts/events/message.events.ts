import { z } from 'zod/v4';
import { defineEvent } from '../envelope';
import { originSchema } from './ids';
import {
  clientMsgIdSchema,
  conversationIdSchema,
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
