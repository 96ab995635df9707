import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import type { AuthenticatedPrincipal } from '../accounts/access-token';
import { AccountsException } from '../accounts/accounts.exception';
import type { GatewayConfig } from '../config/gateway.config';
import { UserDirectoryRepository } from '../users/user-directory.repository';
import { newDeviceId, newTicket, TicketGrant } from './connect-ticket';
import { ConnectTicketsRepository } from './connect-tickets.repository';
import { DirectoryEntry, GatewayDirectoryReader } from './gateway-directory.reader';

export const MAX_BACKUPS = 2;

import type { ConnectAnswer, ConnectBody } from '@parley/protocol';
export type { ConnectAnswer };

/**
 * The least-loaded live gateways, then the backups (ties by id). With an empty directory (right
 * after start-up, before session has seen a heartbeat) this gateway is the answer.
 */
export function chooseGateways(
  live: readonly DirectoryEntry[],
  self: Pick<DirectoryEntry, 'gatewayId' | 'publicUrl'>,
): { primary: Pick<DirectoryEntry, 'gatewayId' | 'publicUrl'>; backups: string[] } {
  const ranked = [...live].sort(
    (a, b) => a.connections - b.connections || a.gatewayId.localeCompare(b.gatewayId),
  );
  const [primary, ...rest] = ranked;
  if (!primary) return { primary: self, backups: [] };
  return { primary, backups: rest.slice(0, MAX_BACKUPS).map((g) => g.publicUrl) };
}

/**
 * `POST /v1/connect`: picks the gateway a client should open its WebSocket on and issues a
 * single-use ticket for it (bound to the user, the device and that gateway). The long-lived
 * access token never travels in a WebSocket URL.
 */
@Injectable()
export class ConnectService {
  constructor(
    private readonly directory: GatewayDirectoryReader,
    private readonly tickets: ConnectTicketsRepository,
    private readonly users: UserDirectoryRepository,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      GatewayConfig,
      'GATEWAY_ID' | 'GATEWAY_PUBLIC_URL' | 'CONNECT_TICKET_TTL_SECONDS'
    >,
  ) {}

  async connect(principal: AuthenticatedPrincipal, body: ConnectBody): Promise<ConnectAnswer> {
    const { deviceId } = body;
    const user = await this.users.findById(principal.userId);
    if (!user) throw AccountsException.invalidAccessToken();
    const { primary, backups } = chooseGateways(await this.directory.live(), {
      gatewayId: this.config.GATEWAY_ID,
      publicUrl: this.config.GATEWAY_PUBLIC_URL,
    });
    const grant: TicketGrant = {
      userId: user.id,
      username: user.username,
      deviceId: deviceId ?? newDeviceId(),
      gatewayId: primary.gatewayId,
      sessionId: principal.sessionId,
      expiresAt: principal.expiresAt,
      ...(body.sync ? { sync: body.sync } : {}),
    };
    const ticket = newTicket();
    await Promise.all([
      this.tickets.store(ticket, grant, this.config.CONNECT_TICKET_TTL_SECONDS),
      this.directory.reserve(primary.gatewayId),
    ]);
    return {
      url: primary.publicUrl,
      backups,
      ticket,
      deviceId: grant.deviceId,
      gatewayId: primary.gatewayId,
      expiresIn: this.config.CONNECT_TICKET_TTL_SECONDS,
    };
  }
}
