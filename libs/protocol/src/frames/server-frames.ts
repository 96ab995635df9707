import { z } from 'zod/v4';
import { errorCodeSchema } from '../errors';
import {
  clientMsgIdSchema,
  connectionIdSchema,
  conversationIdSchema,
  deviceIdSchema,
  fromSeqSchema,
  gatewayIdSchema,
  gatewaySocketUrlSchema,
  isoTimeSchema,
  seqSchema,
  ticketSchema,
  userIdSchema,
  usernameSchema,
} from '../ids';
import { deliveredMessageSchema } from '../message';
import { memberReceiptSchema } from '../receipt';
import { userPresenceSchema } from '../presence';
import { stateDigestSchema } from '../sync/state-digest';

/**
 * Server -> client WebSocket frames. Clients parse every frame with these schemas (no casts).
 * They are not strict: a newer server may add fields, and an older client ignores them (and
 * frames of types it does not know).
 */
const ref = z.string().optional();

/** The socket is ready: who it belongs to, where it is, and until when it is authorized. */
export const helloFrameSchema = z.object({
  type: z.literal('hello'),
  connectionId: connectionIdSchema,
  userId: userIdSchema,
  username: usernameSchema,
  deviceId: deviceIdSchema,
  gatewayId: gatewayIdSchema,
  heartbeatMs: z.number().int().positive(),
  /** When this socket's authorization ends unless renewed with an `auth` frame. */
  expiresAt: isoTimeSchema,
  /**
   * A single-use ticket that reopens this device's socket on any gateway of the cluster without
   * asking the directory (`POST /v1/connect`) first: what a device uses right after its socket
   * drops. Valid while this socket's authorization is (renewals extend it); bound to the user,
   * the device and the log-in session.
   */
  resumeTicket: ticketSchema.optional(),
  /**
   * Other live gateways' WebSocket URLs, least loaded first, on a socket opened directly with the
   * access token (which had no directory answer to name them): where the resume ticket goes if
   * this gateway drops.
   */
  backups: z.array(gatewaySocketUrlSchema).max(8).optional(),
});

/** The `auth` frame was accepted: the socket is authorized until `expiresAt`. */
export const authOkFrameSchema = z.object({
  type: z.literal('auth.ok'),
  ref,
  expiresAt: isoTimeSchema,
});

/** Kafka holds the send: safe, not yet stored. */
export const acceptedFrameSchema = z.object({
  type: z.literal('accepted'),
  ref,
  clientMsgId: clientMsgIdSchema,
  conversationId: conversationIdSchema,
});

/** The send is durable in PostgreSQL with its sequence number. Same answer for every retry. */
export const ackFrameSchema = z.object({
  type: z.literal('ack'),
  clientMsgId: clientMsgIdSchema,
  conversationId: conversationIdSchema,
  seq: seqSchema,
  serverTime: isoTimeSchema,
  /** A disappearing message's expiry (the conversation had a timer when it was stored). */
  expiresAt: isoTimeSchema.optional(),
});

/** A message for this device (live push). */
export const messageFrameSchema = z.object({
  type: z.literal('message'),
  message: deliveredMessageSchema,
});

/** Deprecated (sync v1): a page of what this device has not had, in (conversation, seq) order. */
export const syncPageFrameSchema = z.object({
  type: z.literal('sync.page'),
  ref,
  messages: z.array(deliveredMessageSchema),
  /** Pass as `after` to get the next page. */
  next: z.string(),
  /** True when this page reached the end: the device is caught up. */
  done: z.boolean(),
});

/** A page of one conversation's history, ascending seq. */
export const historyPageFrameSchema = z.object({
  type: z.literal('history.page'),
  ref,
  conversationId: conversationIdSchema,
  messages: z.array(deliveredMessageSchema),
  /** True when older messages exist (ask again with beforeSeq = messages[0].seq). */
  hasMore: z.boolean(),
});

/** Sync v2: messages the device is missing, ascending (conversation, seq); at most the page cap. */
export const syncMessagesFrameSchema = z.object({
  type: z.literal('sync.messages'),
  ref,
  messages: z.array(deliveredMessageSchema),
});

/**
 * Sync v2: the device's state of this conversation does not match the server's (or it asked for
 * the tail): drop what it holds of it and take this, the server's state and its last
 * min(10, lastSeq - fromSeq + 1) messages, ascending. Older messages come with `history` when
 * wanted. `fromSeq`, when above 1: the first seq this member may read (a group showing members
 * the history from their joining); the device's state of it starts there.
 */
export const syncResetFrameSchema = z.object({
  type: z.literal('sync.reset'),
  ref,
  conversationId: conversationIdSchema,
  lastSeq: z.number().int().min(0),
  digest: stateDigestSchema,
  messages: z.array(deliveredMessageSchema),
  fromSeq: fromSeqSchema.optional(),
});

const listedStateSchema = z.object({
  conversationId: conversationIdSchema,
  lastSeq: z.number().int().min(0),
  digest: stateDigestSchema,
  fromSeq: fromSeqSchema.optional(),
});

/**
 * Sync v2: the end of a round. `converged`: every state of the round matched the server's (and,
 * for a `complete` round, the device knows every conversation of its user), so nothing was sent:
 * the device is in agreement. Otherwise the device sends another round with the states of
 * `behind` (more to send than the round's cap), `reset` and what it received, and brings in
 * `unknown` conversations (with a state from seq 0, or a tail request); `gone` are conversations
 * the user is not (or no longer) a member of: the device drops them.
 */
export const syncDoneFrameSchema = z.object({
  type: z.literal('sync.done'),
  ref,
  converged: z.boolean(),
  agreed: z.number().int().min(0),
  /** Messages sent in this round (`sync.messages` and `sync.reset`). */
  messages: z.number().int().min(0),
  behind: z.array(conversationIdSchema),
  reset: z.array(conversationIdSchema),
  unknown: z.array(listedStateSchema),
  gone: z.array(conversationIdSchema),
});

/**
 * Sync v2: live pushes for this socket could not be kept in order (a gap, or more held than the
 * bound while a sync ran): the server holds further pushes; the device runs a complete round.
 */
export const syncRequiredFrameSchema = z.object({
  type: z.literal('sync.required'),
  reason: z.enum(['gap', 'overflow']),
});

/**
 * A member's receipt cursors moved (see MemberReceipt): pushed to every member's sockets, at most
 * once per member per conversation per cursor step (a member reading 500 messages is one frame).
 * A device derives its own messages' marks from the other members' latest cursors.
 */
export const receiptFrameSchema = memberReceiptSchema.extend({ type: z.literal('receipt') });

/**
 * Presence of watched users: the answer to `presence.watch` (`snapshot`: every watched user, with
 * its `ref`), then a frame whenever watched users change (online, offline, last seen, or what
 * this user may see of them).
 */
export const presenceFrameSchema = z.object({
  type: z.literal('presence'),
  ref,
  snapshot: z.boolean().optional(),
  users: z.array(userPresenceSchema),
});

/**
 * A member is typing in a conversation: show it until `expiresAt` (or until a message from them
 * arrives). Live only: never stored, never in sync or history.
 */
export const typingServerFrameSchema = z.object({
  type: z.literal('typing'),
  conversationId: conversationIdSchema,
  userId: userIdSchema,
  username: usernameSchema,
  expiresAt: isoTimeSchema,
});

/** A frame was refused; the socket stays open. */
export const errorFrameSchema = z.object({
  type: z.literal('error'),
  ref,
  clientMsgId: clientMsgIdSchema.optional(),
  code: errorCodeSchema,
  message: z.string(),
  /** With `rate_limited` and `overloaded`: resend no earlier than this, in the original order. */
  retryAfterMs: z.number().int().positive().optional(),
});

/** Every server frame type, with its schema. */
export const SERVER_FRAME_SCHEMAS = {
  hello: helloFrameSchema,
  'auth.ok': authOkFrameSchema,
  accepted: acceptedFrameSchema,
  ack: ackFrameSchema,
  message: messageFrameSchema,
  'sync.page': syncPageFrameSchema,
  'sync.messages': syncMessagesFrameSchema,
  'sync.reset': syncResetFrameSchema,
  'sync.done': syncDoneFrameSchema,
  'sync.required': syncRequiredFrameSchema,
  'history.page': historyPageFrameSchema,
  receipt: receiptFrameSchema,
  presence: presenceFrameSchema,
  typing: typingServerFrameSchema,
  error: errorFrameSchema,
} as const;
export type ServerFrameType = keyof typeof SERVER_FRAME_SCHEMAS;
export const SERVER_FRAME_TYPES = Object.keys(SERVER_FRAME_SCHEMAS) as ServerFrameType[];

export const serverFrameSchema = z.discriminatedUnion('type', [
  helloFrameSchema,
  authOkFrameSchema,
  acceptedFrameSchema,
  ackFrameSchema,
  messageFrameSchema,
  syncPageFrameSchema,
  syncMessagesFrameSchema,
  syncResetFrameSchema,
  syncDoneFrameSchema,
  syncRequiredFrameSchema,
  historyPageFrameSchema,
  receiptFrameSchema,
  presenceFrameSchema,
  typingServerFrameSchema,
  errorFrameSchema,
]);
export type HelloFrame = z.output<typeof helloFrameSchema>;
export type AuthOkFrame = z.output<typeof authOkFrameSchema>;
export type AcceptedFrame = z.output<typeof acceptedFrameSchema>;
export type AckFrame = z.output<typeof ackFrameSchema>;
export type MessageFrame = z.output<typeof messageFrameSchema>;
export type ReceiptFrame = z.output<typeof receiptFrameSchema>;
export type SyncPageFrame = z.output<typeof syncPageFrameSchema>;
export type SyncMessagesFrame = z.output<typeof syncMessagesFrameSchema>;
export type SyncResetFrame = z.output<typeof syncResetFrameSchema>;
export type SyncDoneFrame = z.output<typeof syncDoneFrameSchema>;
export type SyncRequiredFrame = z.output<typeof syncRequiredFrameSchema>;
export type HistoryPageFrame = z.output<typeof historyPageFrameSchema>;
export type PresenceFrame = z.output<typeof presenceFrameSchema>;
export type TypingServerFrame = z.output<typeof typingServerFrameSchema>;
export type ErrorFrame = z.output<typeof errorFrameSchema>;
export type ServerFrame = z.output<typeof serverFrameSchema>;
