import { Injectable } from '@nestjs/common';
import { newTicket, TicketGrant } from './connect-ticket';
import { ConnectTicketsRepository } from './connect-tickets.repository';

/** Who a socket is, as its resume ticket carries it on to the device's next socket. */
export type ResumableSocket = Pick<
  TicketGrant,
  'userId' | 'username' | 'deviceId' | 'gatewayId' | 'sessionId' | 'sync'
> & {
  /** When the socket's authorization ends (epoch ms). */
  expiresAt: number;
};

/**
 * Resume tickets: every socket is handed one in its `hello`. When the socket drops, the device
 * opens its next one with it on any gateway of the cluster, skipping the directory round
 * (`POST /v1/connect`): what makes a failover one request per device instead of two. Like a
 * connect ticket it is single-use and bound to the user, the device and the log-in session; it
 * lives as long as the socket's authorization (a renewal extends it) and is dropped when the
 * socket ends for good (the client said goodbye, was replaced, or its session ended).
 */
@Injectable()
export class ResumeTickets {
  constructor(private readonly tickets: ConnectTicketsRepository) {}

  /** A new ticket for a socket about to open. */
  async issue(socket: ResumableSocket, now = Date.now()): Promise<string> {
    const ticket = newTicket();
    await this.tickets.store(ticket, grantOf(socket), ttlSeconds(socket.expiresAt, now));
    return ticket;
  }

  /** The socket's authorization moved (an `auth` renewal): so does its ticket, if still unused. */
  async extend(ticket: string, socket: ResumableSocket, now = Date.now()): Promise<void> {
    await this.tickets.store(ticket, grantOf(socket), ttlSeconds(socket.expiresAt, now), true);
  }

  async drop(ticket: string): Promise<void> {
    await this.tickets.delete(ticket);
  }
}

function grantOf(socket: ResumableSocket): TicketGrant {
  return {
    userId: socket.userId,
    username: socket.username,
    deviceId: socket.deviceId,
    gatewayId: socket.gatewayId,
    sessionId: socket.sessionId,
    expiresAt: Math.floor(socket.expiresAt / 1000),
    ...(socket.sync ? { sync: socket.sync } : {}),
    resume: true,
  };
}

/** Until the socket's authorization ends (at least a second: Redis refuses an EX of 0). */
export function ttlSeconds(expiresAt: number, now: number): number {
  return Math.max(1, Math.ceil((expiresAt - now) / 1000));
}
