import { chooseGateways } from './connect.service';
import { newTicket, TICKET_PATTERN, ticketHash } from './connect-ticket';

const self = { gatewayId: 'gateway-self', publicUrl: 'ws://self/ws' };
const gw = (gatewayId: string, connections: number) => ({
  gatewayId,
  connections,
  publicUrl: `ws://${gatewayId}/ws`,
});

describe('chooseGateways', () => {
  it('falls back to this gateway when the directory is empty', () => {
    expect(chooseGateways([], self)).toEqual({ primary: self, backups: [] });
  });

  it('picks the least loaded, then up to two backups in load order (ties by id)', () => {
    const answer = chooseGateways([gw('g-4', 9), gw('g-2', 3), gw('g-1', 3), gw('g-3', 5)], self);
    expect(answer.primary.gatewayId).toBe('g-1');
    expect(answer.backups).toEqual(['ws://g-2/ws', 'ws://g-3/ws']);
  });
});

describe('connect ticket', () => {
  it('is 32 random bytes in base64url and hashed for storage', () => {
    const ticket = newTicket();
    expect(ticket).toMatch(TICKET_PATTERN);
    expect(newTicket()).not.toBe(ticket);
    expect(ticketHash(ticket)).toMatch(/^[0-9a-f]{64}$/);
    expect(ticketHash(ticket)).not.toContain(ticket);
  });
});
