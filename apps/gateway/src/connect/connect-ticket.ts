import { deviceIdSchema, gatewayIdSchema, userIdSchema, usernameSchema } from '@parley/common';
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** What a connect ticket stands for (stored in Redis under the ticket's SHA-256, never the ticket). */
export const ticketGrantSchema = z
  .object({
    userId: userIdSchema,
    username: usernameSchema,
    deviceId: deviceIdSchema,
    gatewayId: gatewayIdSchema,
    /** The log-in session (access token `sid`): ending it closes the socket. */
    sessionId: z.string().uuid(),
    /** The access token's `exp` (epoch seconds): the socket's authorization ends then. */
    expiresAt: z.number().int().positive(),
  })
  .strict();
export type TicketGrant = z.output<typeof ticketGrantSchema>;

/** A ticket: 32 random bytes, base64url (43 characters). */
export function newTicket(): string {
  return randomBytes(32).toString('base64url');
}

export const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The Redis key part for a ticket: hex SHA-256, so a Redis dump holds no usable tickets. */
export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}

/** A random device id for a client that did not bring one. */
export function newDeviceId(): string {
  return `dev_${randomBytes(12).toString('base64url')}`;
}
