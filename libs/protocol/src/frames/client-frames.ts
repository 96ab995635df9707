import { z } from 'zod';
import { clientMsgIdSchema, conversationIdSchema, seqSchema } from '../ids';

/**
 * Client -> server WebSocket frames: one JSON object per text message, with a `type`. Every frame
 * is strict (an unknown field, such as a `from` or `senderId` naming a sender, is refused), and
 * `ref` is an optional client-chosen id echoed in the answer or error.
 */
const ref = z.string().min(1).max(64).optional();

/** Send a message to a conversation, or to a user (1:1; the conversation is made on first contact). */
export const sendFrameSchema = z
  .object({
    type: z.literal('send'),
    ref,
    clientMsgId: clientMsgIdSchema,
    conversationId: conversationIdSchema.optional(),
    to: z.string().min(1).max(64).optional(),
    /** Length limit (characters) is the gateway's MESSAGE_MAX_LENGTH, checked after parsing. */
    text: z.string(),
  })
  .strict()
  .refine((f) => (f.conversationId === undefined) !== (f.to === undefined), {
    message: 'exactly one of conversationId or to is required',
    path: ['conversationId'],
  });

/** Ask for the next page of messages this device has not had (offline delivery). */
export const syncFrameSchema = z
  .object({
    type: z.literal('sync'),
    ref,
    /** The `next` token of the previous page; omit to start from the device's delivered cursors. */
    after: z.string().max(256).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();

/** This device holds the conversation up to `seq` (moves its delivered cursor). */
export const deliveredFrameSchema = z
  .object({
    type: z.literal('delivered'),
    ref,
    conversationId: conversationIdSchema,
    seq: seqSchema,
  })
  .strict();

/** The user has read the conversation up to `seq` (moves the read cursor; unread counts). */
export const readFrameSchema = z
  .object({ type: z.literal('read'), ref, conversationId: conversationIdSchema, seq: seqSchema })
  .strict();

/** A page of history: the last `limit` messages, or those before `beforeSeq`. */
export const historyFrameSchema = z
  .object({
    type: z.literal('history'),
    ref,
    conversationId: conversationIdSchema,
    beforeSeq: seqSchema.optional(),
    limit: z.number().int().min(1).max(100).optional(),
  })
  .strict();

/**
 * Renews the socket's authorization with a fresh access token before the one it was opened with
 * expires (`hello.expiresAt`): answered with `auth.ok` and the new expiry. A socket whose
 * authorization runs out is closed with CloseCode.TokenExpired.
 */
export const authFrameSchema = z
  .object({ type: z.literal('auth'), ref, token: z.string().min(1).max(4096) })
  .strict();

/** Every client frame type, with its schema: the one list gateway, clients and docs use. */
export const CLIENT_FRAME_SCHEMAS = {
  send: sendFrameSchema,
  sync: syncFrameSchema,
  delivered: deliveredFrameSchema,
  read: readFrameSchema,
  history: historyFrameSchema,
  auth: authFrameSchema,
} as const;
export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;
export const CLIENT_FRAME_TYPES = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientFrameType[];

export const clientFrameSchema = z.union([
  sendFrameSchema,
  syncFrameSchema,
  deliveredFrameSchema,
  readFrameSchema,
  historyFrameSchema,
  authFrameSchema,
]);
export type SendFrame = z.output<typeof sendFrameSchema>;
export type SyncFrame = z.output<typeof syncFrameSchema>;
export type DeliveredFrame = z.output<typeof deliveredFrameSchema>;
export type ReadFrame = z.output<typeof readFrameSchema>;
export type HistoryFrame = z.output<typeof historyFrameSchema>;
export type AuthFrame = z.output<typeof authFrameSchema>;
export type ClientFrame = z.output<typeof clientFrameSchema>;
