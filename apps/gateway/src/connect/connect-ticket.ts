import { createHash, randomBytes } from 'node:crypto';

export { ticketGrantSchema, type TicketGrant } from '@parley/common';

/** A ticket: 32 random bytes, base64url (43 characters). */
export function newTicket(): string {
  return randomBytes(32).toString('base64url');
}

export { TICKET_PATTERN } from '@parley/protocol';

/** The Redis key part for a ticket: hex SHA-256, so a Redis dump holds no usable tickets. */
export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}

/** A random device id for a client that did not bring one. */
export function newDeviceId(): string {
  return `dev_${randomBytes(12).toString('base64url')}`;
}
