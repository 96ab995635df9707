import { newTicket, TICKET_PATTERN, ticketHash } from './connect-ticket';

describe('connect ticket', () => {
  it('is 32 random bytes in base64url and hashed for storage', () => {
    const ticket = newTicket();
    expect(ticket).toMatch(TICKET_PATTERN);
    expect(newTicket()).not.toBe(ticket);
    expect(ticketHash(ticket)).toMatch(/^[0-9a-f]{64}$/);
    expect(ticketHash(ticket)).not.toContain(ticket);
  });
});
