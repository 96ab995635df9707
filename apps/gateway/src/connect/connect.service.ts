import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import type { AuthenticatedPrincipal } from '../accounts/access-token';
import { AccessTokenVerifier } from '../accounts/access-token.verifier';
import { AccountsException } from '../accounts/accounts.exception';
import type { GatewayConfig } from '../config/gateway.config';
import { UserDirectoryRepository } from '../users/user-directory.repository';
import { newDeviceId, newTicket, TicketGrant } from './connect-ticket';
import { ticketKey } from './connect-tickets.repository';
import { GatewayDirectoryReader } from './gateway-directory.reader';

export const MAX_BACKUPS = 2;

import type { ConnectAnswer, ConnectBody } from '@parley/protocol';
export type { ConnectAnswer };

/** What a socket opened directly (no ticket) names in its URL: as `POST /v1/connect`'s body. */
export type DirectConnect = Pick<ConnectBody, 'deviceId' | 'sync'>;

/**
 * `POST /v1/connect`: picks the gateway a client should open its WebSocket on and issues a
 * single-use ticket for it (bound to the user and the device, valid on that gateway or one of
 * the answer's backups). The long-lived
 * access token never travels in a WebSocket URL.
 */
@Injectable()
export class ConnectService {
  constructor(
    private readonly directory: GatewayDirectoryReader,
    private readonly users: UserDirectoryRepository,
    private readonly verifier: AccessTokenVerifier,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      GatewayConfig,
      'GATEWAY_ID' | 'GATEWAY_PUBLIC_URL' | 'CONNECT_TICKET_TTL_SECONDS'
    >,
  ) {}

  /**
   * A socket opened on this gateway directly, with the access token in its `Authorization`
   * header instead of a ticket: the directory's answer and the upgrade in one exchange. The token
   * is checked as `POST /v1/connect` checks it (signature, expiry, session not ended); the grant
   * is for this gateway when it is within the directory's slack of the least loaded (one
   * connection reserved on it), with the other live gateways the socket's `hello` names as
   * backups; null when the client should ask the directory instead.
   */
  async grantHere(
    accessToken: string,
    asked: DirectConnect,
  ): Promise<{ grant: TicketGrant; backups: string[] } | null> {
    const principal = await this.verifier.verify(accessToken);
    const granted = await this.grantFor(principal, asked);
    const claim = await this.directory.claimHere(this.config.GATEWAY_ID, MAX_BACKUPS);
    if (!claim.kept) return null;
    const grant: TicketGrant = { ...granted, gatewayId: this.config.GATEWAY_ID };
    return { grant, backups: claim.backups.map((b) => b.publicUrl) };
  }

  async connect(principal: AuthenticatedPrincipal, body: ConnectBody): Promise<ConnectAnswer> {
    const granted = await this.grantFor(principal, body);
    // The least-loaded live gateway (reserved in the same step), then the backups; none the
    // client just failed to reach. With an empty directory (right after start-up, before session
    // has seen a heartbeat) this gateway is the answer. The ticket is stored in that step too,
    // naming them: it opens a socket on the primary or, when that cannot be reached, on a backup
    // (still single-use: whichever gateway takes it first consumes it).
    const ticket = newTicket();
    const [primary, ...rest] = await this.directory.chooseAndIssue(
      1 + MAX_BACKUPS,
      body.unreachable ?? [],
      {
        key: ticketKey(ticket),
        grant: granted,
        ttlSeconds: this.config.CONNECT_TICKET_TTL_SECONDS,
        fallbackGatewayId: this.config.GATEWAY_ID,
      },
    );
    const self = { gatewayId: this.config.GATEWAY_ID, publicUrl: this.config.GATEWAY_PUBLIC_URL };
    const chosen = primary ?? self;
    return {
      url: chosen.publicUrl,
      backups: primary ? rest.map((b) => b.publicUrl) : [],
      ticket,
      deviceId: granted.deviceId,
      gatewayId: chosen.gatewayId,
      expiresIn: this.config.CONNECT_TICKET_TTL_SECONDS,
    };
  }

  /**
   * What a socket of `principal` is granted, as its ticket request or direct upgrade asked (the
   * gateway is the caller's choice); an account that no longer exists is an invalid token.
   */
  private async grantFor(
    principal: AuthenticatedPrincipal,
    asked: DirectConnect,
  ): Promise<Omit<TicketGrant, 'gatewayId'>> {
    const username = await this.users.usernameOf(principal.userId);
    if (username === null) throw AccountsException.invalidAccessToken();
    return {
      userId: principal.userId,
      username,
      deviceId: asked.deviceId ?? newDeviceId(),
      sessionId: principal.sessionId,
      expiresAt: principal.expiresAt,
      ...(asked.sync ? { sync: asked.sync } : {}),
    };
  }
}
