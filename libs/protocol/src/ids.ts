import { z } from 'zod/v4';

// Field schemas for ids and values every part of Parley means the same thing by: the wire
// protocol, the HTTP API and the Kafka event contracts all build on these.

/**
 * Any 8-4-4-4-12 hex id, as zod 3's `.uuid()` accepted (zod 4's `z.uuid()` also demands the RFC
 * 9562 version and variant bits).
 */
export const userIdSchema = z.guid();
/** Conversation id: `<creation ms>-<32 hex digest>` (see the gateway's conversation-id). */
export const conversationIdSchema = z
  .string()
  .regex(/^\d{13}-[0-9a-f]{32}$/, 'must be a conversation id');
/** Client message id: chosen by the client, unique per sender; the idempotency key of a send. */
export const clientMsgIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-" (1-64)');
export const deviceIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-" (1-64)');
export const gatewayIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/);
export const connectionIdSchema = z.guid();
/** A gateway's WebSocket URL, as the directory and a directly opened socket's `hello` name it. */
export const gatewaySocketUrlSchema = z
  .string()
  .max(512)
  .regex(/^wss?:\/\//);
/**
 * A conversation's sequence number: a positive integer JavaScript represents exactly. PostgreSQL
 * stores it as bigint; anything beyond 2^53 - 1 is refused here rather than failing in the query.
 */
export const seqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export { isoTimeSchema } from './iso-time';
/** A WebSocket connect ticket: 32 random bytes, base64url (43 characters), single-use. */
export const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const ticketSchema = z.string().regex(TICKET_PATTERN, 'must be a connect ticket');
/** A username as stored (display form); registration applies USERNAME_PATTERN. */
export const usernameSchema = z.string().min(3).max(32);
/** Display form: 3-32 of a-z A-Z 0-9 _; uniqueness is case-insensitive. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,32}$/;
/**
 * Message text: UTF-8, non-empty unless the message carries an image (then it is the caption, ''
 * when there is none); the gateway enforces the configured maximum length.
 */
export const messageTextSchema = z.string().max(100_000);

/** A first readable seq (1 unless a group shows a member its history only from its joining). */
export const fromSeqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
