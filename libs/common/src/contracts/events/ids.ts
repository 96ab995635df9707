import { z } from 'zod';

/** Shared field schemas for ids, so every contract means the same thing by them. */
export const userIdSchema = z.string().uuid();
/** Conversation id: `<creation ms>-<32 hex digest>` (see apps/gateway conversation-id). */
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
export const connectionIdSchema = z.string().uuid();
/**
 * A conversation's sequence number: a positive integer JavaScript represents exactly. PostgreSQL
 * stores it as bigint; anything beyond 2^53 - 1 is refused here rather than failing in the query.
 */
export const seqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export { isoTimeSchema } from '../iso-time';
export const usernameSchema = z.string().min(3).max(32);
/** Message text: UTF-8, non-empty; the gateway enforces the configured maximum length. */
export const messageTextSchema = z.string().min(1).max(100_000);

/** Where a send came from: the gateway box and socket that must receive its ack. */
export const originSchema = z
  .object({
    gatewayId: gatewayIdSchema,
    connectionId: connectionIdSchema,
    deviceId: deviceIdSchema,
  })
  .strict();
export type Origin = z.output<typeof originSchema>;
