import { z } from 'zod/v4';
import { conversationEventSchema } from './group';
import {
  clientMsgIdSchema,
  conversationIdSchema,
  isoTimeSchema,
  messageTextSchema,
  seqSchema,
  userIdSchema,
  usernameSchema,
} from './ids';

/**
 * A stored message as every member's device receives it: the shape of `message` frames, sync and
 * history pages, and (extended with routing fields) what storage fans out.
 */
export const deliveredMessageSchema = z
  .object({
    conversationId: conversationIdSchema,
    seq: seqSchema,
    senderId: userIdSchema,
    senderUsername: usernameSchema,
    clientMsgId: clientMsgIdSchema,
    text: messageTextSchema,
    serverTime: isoTimeSchema,
    /**
     * Set on a membership event (a group created, renamed, members added, removed, promoted, a
     * member left): `text` then describes it in words, and the sender is who made the change.
     */
    event: conversationEventSchema.optional(),
  })
  .strict();
export type DeliveredMessage = z.output<typeof deliveredMessageSchema>;
