import { z } from 'zod/v4';
import { conversationEventSchema } from './group';
import { messageImageSchema } from './image';
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
    /** An image message: the image (fetch it with `GET /v1/images/{id}/{variant}`); `text` is its caption. */
    image: messageImageSchema.optional(),
    /**
     * A disappearing message: when it expires (server time + the conversation's timer when it
     * was stored). Past it a device deletes its copy.
     */
    expiresAt: isoTimeSchema.optional(),
    /** An expired message's tombstone: its seq, sender and id stay; no text, no image. */
    expired: z.literal(true).optional(),
  })
  .strict()
  .refine((m) => m.text !== '' || m.image !== undefined || m.expired === true, {
    message: 'must not be empty without an image',
    path: ['text'],
  });
export type DeliveredMessage = z.output<typeof deliveredMessageSchema>;
