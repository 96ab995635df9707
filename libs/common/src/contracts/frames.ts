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

/**
 * Renews the socket's authorization with a fresh access token before the one it was opened with
 * expires (`hello.expiresAt`): answered with `auth.ok` and the new expiry. A socket whose
 * authorization runs out is closed with CloseCode.TokenExpired.
 */
export const authFrameSchema = z
  .object({ type: z.literal('auth'), ref, token: z.string().min(1).max(4096) })
  .strict();

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
export const CLIENT_FRAME_TYPES = ['send', 'sync', 'delivered', 'read', 'history', 'auth'] as const;

/**
 * Every code a gateway closes a client socket with. Clients switch on them: reconnecting makes
 * sense after GoingAway, TryAgainLater and TokenExpired (with a fresh token), never after
 * SessionEnded or Replaced.
 */
export const CloseCode = {
  /** The client closed it (echoed in the close handshake). */
  Normal: 1000,
  /** The gateway is shutting down: reconnect through the directory. */
  GoingAway: 1001,
  /** A frame over the payload limit. */
  MessageTooBig: 1009,
  /** Not valid UTF-8 text. */
  InvalidPayload: 1007,
  /** A protocol violation ws refused (e.g. an unmasked or malformed frame). */
  ProtocolError: 1002,
  /** The client does not read: its outgoing data backed up past the limit. */
  TryAgainLater: 1013,
  /** The session was ended: logged out, or its refresh token was reused. Log in again. */
  SessionEnded: 4001,
  /** The access token the socket was authorized with expired and was not renewed (`auth`). */
  TokenExpired: 4002,
  /** The same device opened a newer socket; this one is superseded. */
  Replaced: 4003,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
export const DOCUMENTED_CLOSE_CODES: readonly number[] = Object.values(CloseCode);

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
  /** When this socket's authorization ends unless renewed with an `auth` frame (ISO time). */
  expiresAt: string;
}
/** The `auth` frame was accepted: the socket is authorized until `expiresAt`. */
export interface AuthOkFrame {
  type: 'auth.ok';
  ref?: string;
  expiresAt: string;
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
  /** With `rate_limited` and `overloaded`: resend no earlier than this, in the original order. */
  retryAfterMs?: number;
}
export type ServerFrame =
  | HelloFrame
  | AuthOkFrame
  | AcceptedFrame
  | AckFrame
  | MessageFrame
  | SyncPageFrame
  | HistoryPageFrame
  | ErrorFrame;
