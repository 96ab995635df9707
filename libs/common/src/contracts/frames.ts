import { z } from 'zod';
import { ErrorCode } from '../errors/app.exception';
import type { DeliveredMessage } from './events/message.events';
import { clientMsgIdSchema, conversationIdSchema, seqSchema } from './events/ids';

/**
 * The WebSocket protocol between clients and gateways: one JSON object per WebSocket text
 * message, with a `type`. Client frames are validated here; docs/PROTOCOL.md shows each with an
 * example. `ref` is an optional client-chosen id echoed in the answer (and in an error frame).
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

export const clientFrameSchema = z.union([
  sendFrameSchema,
  syncFrameSchema,
  deliveredFrameSchema,
  readFrameSchema,
  historyFrameSchema,
]);
export type SendFrame = z.output<typeof sendFrameSchema>;
export type SyncFrame = z.output<typeof syncFrameSchema>;
export type DeliveredFrame = z.output<typeof deliveredFrameSchema>;
export type ReadFrame = z.output<typeof readFrameSchema>;
export type HistoryFrame = z.output<typeof historyFrameSchema>;
export type ClientFrame = z.output<typeof clientFrameSchema>;
export const CLIENT_FRAME_TYPES = ['send', 'sync', 'delivered', 'read', 'history'] as const;

/** `POST /v1/connect`: where to open the WebSocket, backups, and the single-use ticket. */
export interface ConnectAnswer {
  url: string;
  backups: string[];
  ticket: string;
  deviceId: string;
  gatewayId: string;
  expiresIn: number;
}

/** Server -> client frames. */
export interface HelloFrame {
  type: 'hello';
  connectionId: string;
  userId: string;
  username: string;
  deviceId: string;
  gatewayId: string;
  heartbeatMs: number;
}
/** Kafka holds the send: safe, not yet stored. */
export interface AcceptedFrame {
  type: 'accepted';
  ref?: string;
  clientMsgId: string;
  conversationId: string;
}
/** The send is durable in PostgreSQL with its sequence number. Same answer for every retry. */
export interface AckFrame {
  type: 'ack';
  clientMsgId: string;
  conversationId: string;
  seq: number;
  serverTime: string;
}
/** A message for this device (live push). */
export interface MessageFrame {
  type: 'message';
  message: DeliveredMessage;
}
export interface SyncPageFrame {
  type: 'sync.page';
  ref?: string;
  messages: DeliveredMessage[];
  /** Pass as `after` to get the next page. */
  next: string;
  /** True when this page reached the end: the device is caught up. */
  done: boolean;
}
export interface HistoryPageFrame {
  type: 'history.page';
  ref?: string;
  conversationId: string;
  messages: DeliveredMessage[];
  /** True when older messages exist (ask again with beforeSeq = messages[0].seq). */
  hasMore: boolean;
}
export interface ErrorFrame {
  type: 'error';
  ref?: string;
  clientMsgId?: string;
  code: ErrorCode;
  message: string;
}
export type ServerFrame =
  | HelloFrame
  | AcceptedFrame
  | AckFrame
  | MessageFrame
  | SyncPageFrame
  | HistoryPageFrame
  | ErrorFrame;
