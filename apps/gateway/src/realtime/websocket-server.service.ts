import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  APP_CONFIG,
  AppException,
  isDependencyOutage,
  periodic,
  type StopPeriodic,
} from '@parley/common';
import { CloseCode, ErrorCode, HTTP_STATUS_BY_CODE } from '@parley/protocol';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config/gateway.config';
import { TicketGrant } from '../connect/connect-ticket';
import { ConnectTicketsRepository } from '../connect/connect-tickets.repository';
import { ConnectService } from '../connect/connect.service';
import { ResumeTickets } from '../connect/resume-tickets';
import { ConnectionControlPublisher } from '../connections/connection-control.publisher';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import {
  ClientConnection,
  CloseReason,
  ConnectionLimits,
  endsResumption,
  saidGoodbye,
} from './client-connection';
import { ConnectionEventsPublisher } from './connection-events.publisher';
import { FrameDispatcher } from './frame-dispatcher.service';
import { GatewayInstanceLease } from './gateway-instance.lease';
import { PingWheel, pingSlots } from './ping-wheel';
import { SocketAdmissionRepository } from './socket-admission.repository';
import { upgradesCounter, type UpgradeWay } from './upgrade.metrics';
import {
  DirectUpgrade,
  originAllowed,
  parseUpgradeTarget,
  selectProtocol,
  UpgradeRefusal,
} from './upgrade-request';

export { WS_PATH } from './upgrade-request';
/** How long shutdown waits for clients to answer the 1001 close before cutting them off. */
const SHUTDOWN_CLOSE_WAIT_MS = 2000;
/** How long shutdown waits for connection.closed events to reach Kafka. */
const SHUTDOWN_EVENTS_WAIT_MS = 5000;

/** A refusal decided on the way: answered as plain HTTP, the socket never becomes a WebSocket. */
class UpgradeRefused extends Error {
  constructor(readonly refusal: UpgradeRefusal) {
    super(refusal.message);
  }
}

const refused = (status: number, code: ErrorCode, message: string) =>
  new UpgradeRefused({ status, code, message });

type GatewayLimits = Pick<
  GatewayConfig,
  | 'GATEWAY_ID'
  | 'WS_MAX_PAYLOAD_BYTES'
  | 'WS_PING_INTERVAL_MS'
  | 'WS_MAX_QUEUED_FRAMES'
  | 'WS_MAX_QUEUED_BYTES'
  | 'WS_MAX_BUFFERED_BYTES'
  | 'WS_ALLOWED_ORIGINS'
  | 'MAX_SOCKETS_PER_USER'
  | 'FRAME_RATE_PER_SOCKET'
  | 'FRAME_BURST_PER_SOCKET'
  | 'SYNC_MAX_HELD_PUSHES'
  | 'WS_ACCEPTED_LINGER_MS'
>;

/**
 * The client WebSocket endpoint, on the same HTTP server as the API (path /ws). Everything is
 * checked BEFORE the upgrade, each refusal a plain HTTP answer and a log line, never an exception
 * that escapes: the request target (400/404), the Origin of browser handshakes (403), the ticket
 * (missing, unknown, used, expired or issued for another gateway: 401) or, for a socket opened
 * directly, the access token in its `Authorization` header or a browser's bearer subprotocol (401)
 * and this gateway's load (421: ask the directory), the log-in session behind it (ended or
 * expired: 401), and the user's socket cap
 * (429; a socket of the same device is
 * replaced instead, 4003). Each accepted socket is registered, greeted with `hello`, announced
 * (connection.opened), kept alive by ping/pong, closed when its authorization runs out (4002)
 * unless renewed, and announced again when it closes. On shutdown every socket is closed with
 * 1001 ("going away").
 */
@Injectable()
export class WebSocketServerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebSocketServerService.name);
  private wss?: WebSocketServer;
  private stopPings?: StopPeriodic;
  private readonly pings: PingWheel<ClientConnection>;
  private closing = false;
  private readonly closedEvents = new Set<Promise<void>>();
  private readonly limits: ConnectionLimits;
  private readonly upgrades = upgradesCounter();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tickets: ConnectTicketsRepository,
    private readonly connects: ConnectService,
    private readonly resumeTickets: ResumeTickets,
    private readonly admissions: SocketAdmissionRepository,
    private readonly instance: GatewayInstanceLease,
    private readonly control: ConnectionControlPublisher,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    private readonly dispatcher: FrameDispatcher,
    private readonly events: ConnectionEventsPublisher,
    private readonly lifecycle: ConnectionLifecycle,
    @Inject(APP_CONFIG) private readonly config: GatewayLimits,
  ) {
    this.limits = {
      maxQueuedFrames: config.WS_MAX_QUEUED_FRAMES,
      maxQueuedBytes: config.WS_MAX_QUEUED_BYTES,
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
      frameRatePerSecond: config.FRAME_RATE_PER_SOCKET,
      frameBurst: config.FRAME_BURST_PER_SOCKET,
      maxHeldPushes: config.SYNC_MAX_HELD_PUSHES,
      lingerMs: config.WS_ACCEPTED_LINGER_MS,
    };
    this.pings = new PingWheel(pingSlots(config.WS_PING_INTERVAL_MS));
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.config.WS_MAX_PAYLOAD_BYTES,
      perMessageDeflate: false,
      handleProtocols: selectProtocol,
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.stopPings = periodic(
      Math.round(this.config.WS_PING_INTERVAL_MS / this.pings.slotCount),
      () => this.pingSlice(),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopPings?.();
    const open = this.registry.all();
    if (open.length > 0) this.logger.log({ sockets: open.length }, 'closing client sockets');
    const closed = open.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.socket.readyState === WebSocket.CLOSED) return resolve();
          c.socket.once('close', () => resolve());
          c.close(CloseCode.GoingAway, 'gateway shutting down', 'shutdown');
        }),
    );
    await waitAtMost(Promise.all(closed), SHUTDOWN_CLOSE_WAIT_MS);
    for (const c of this.registry.all()) c.terminate('shutdown');
    await waitAtMost(Promise.allSettled([...this.closedEvents]), SHUTDOWN_EVENTS_WAIT_MS);
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }

  /**
   * The 'upgrade' listener. Whatever happens on the way (a malformed target, Redis down, a bug)
   * ends this one request with an HTTP answer and a log line: the promise is always handled.
   */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.admit(req, socket, head).catch((err: unknown) => {
      // An AppException: the access token of a socket opened directly (invalid, expired, ended).
      const refusal =
        err instanceof UpgradeRefused
          ? err.refusal
          : err instanceof AppException
            ? { status: HTTP_STATUS_BY_CODE[err.code], code: err.code, message: err.message }
            : undefined;
      if (refusal) {
        this.logger.log(
          { status: refusal.status, code: refusal.code, reason: refusal.message },
          'websocket upgrade refused',
        );
        return refuse(socket, refusal);
      }
      if (isDependencyOutage(err)) {
        this.logger.warn({ reason: (err as Error).message }, 'websocket upgrade: dependency down');
        return refuse(socket, { status: 503, code: ErrorCode.Unavailable, message: 'Try again' });
      }
      // The request target is not logged: it may carry a ticket.
      this.logger.error({ err, method: req.method }, 'websocket upgrade failed');
      refuse(socket, {
        status: 400,
        code: ErrorCode.ValidationFailed,
        message: 'Bad upgrade request',
      });
    });
  }

  private async admit(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.closing) throw refused(503, ErrorCode.Unavailable, 'Gateway is shutting down');
    const target = parseUpgradeTarget(
      req.url,
      req.headers.authorization,
      req.headers['sec-websocket-protocol'],
    );
    if (!target.ok) throw new UpgradeRefused(target.refusal);
    if (!originAllowed(req.headers.origin, this.config.WS_ALLOWED_ORIGINS)) {
      throw refused(403, ErrorCode.Forbidden, 'This origin may not open a WebSocket here');
    }
    const self = this.config.GATEWAY_ID;
    const { grant, backups } =
      'ticket' in target
        ? { grant: await this.ticketGrant(target.ticket), backups: [] }
        : await this.directGrant(target.direct);
    const connectionId = randomUUID();
    // The socket's resume ticket is stored alongside the admission (one round trip to Redis).
    const [admission, resumeTicket] = await Promise.all([
      this.admissions.admit(
        {
          userId: grant.userId,
          connectionId,
          deviceId: grant.deviceId,
          gatewayId: this.config.GATEWAY_ID,
          instanceId: this.instance.instanceId,
        },
        this.config.MAX_SOCKETS_PER_USER,
      ),
      this.resumeTickets.issue({ ...grant, gatewayId: self, expiresAt: grant.expiresAt * 1000 }),
    ]);
    if (!admission.admitted) {
      await this.resumeTickets.drop(resumeTicket);
      throw refused(
        429,
        ErrorCode.RateLimited,
        `At most ${this.config.MAX_SOCKETS_PER_USER} connections per user; close another device's first`,
      );
    }
    if (socket.destroyed || !this.wss) {
      await Promise.all([
        this.admissions.release(grant.userId, connectionId),
        this.resumeTickets.drop(resumeTicket),
      ]);
      return;
    }
    this.replace(admission.replaced);
    const via: UpgradeWay = 'ticket' in target ? (grant.resume ? 'resume' : 'ticket') : 'direct';
    this.upgrades.inc({ via });
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.open(ws, connectionId, grant, resumeTicket, backups),
    );
  }

  /** The grant behind a connect or resume ticket, checked for this gateway and a live session. */
  private async ticketGrant(ticket: string): Promise<TicketGrant> {
    // Unknown, already used and expired tickets look the same: Redis no longer has them.
    const { grant, sessionEnded } = await this.tickets.consume(ticket);
    if (!grant) throw refused(401, ErrorCode.Unauthorized, 'Invalid or expired ticket');
    const self = this.config.GATEWAY_ID;
    if (!grant.resume && grant.gatewayId !== self && !grant.backupGatewayIds?.includes(self)) {
      throw refused(401, ErrorCode.Unauthorized, 'Ticket was issued for another gateway');
    }
    if (grant.expiresAt * 1000 <= Date.now() || sessionEnded) {
      throw refused(401, ErrorCode.Unauthorized, 'The session behind this ticket has ended');
    }
    return grant;
  }

  /**
   * A socket opened directly with an access token: kept here when this gateway is about as
   * loaded as the least-loaded one, else 421 and the client asks the directory.
   */
  private async directGrant(
    direct: DirectUpgrade,
  ): Promise<{ grant: TicketGrant; backups: string[] }> {
    const { accessToken, ...asked } = direct;
    const granted = await this.connects.grantHere(accessToken, asked);
    if (!granted) {
      this.upgrades.inc({ via: 'redirected' });
      throw refused(421, ErrorCode.Unavailable, 'Ask the directory (POST /v1/connect)');
    }
    return granted;
  }

  /** Older sockets of the same device: closed here if they are here, everywhere else by broadcast. */
  private replace(connectionIds: string[]): void {
    if (connectionIds.length === 0) return;
    const elsewhere: string[] = [];
    for (const id of connectionIds) {
      const local = this.registry.get(id);
      if (local) {
        local.closeReplaced();
      } else {
        elsewhere.push(id);
      }
    }
    void this.control.connectionsReplaced(elsewhere);
  }

  private open(
    ws: WebSocket,
    connectionId: string,
    grant: TicketGrant,
    resumeTicket: string,
    backups: readonly string[],
  ): void {
    const connection = new ClientConnection(connectionId, ws, grant, this.limits);
    connection.resumeTicket = resumeTicket;
    this.registry.add(connection.id, connection);
    this.pings.add(connection);
    this.lifecycle.opened(connection.id, connection.userId);
    connection.authorizeUntil(grant.expiresAt * 1000);
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const queued = connection.enqueue(
        () => this.dispatcher.handle(connection, data, isBinary),
        data.length,
      );
      if (!queued) {
        connection.send({
          type: 'error',
          code: ErrorCode.Overloaded,
          message: 'Too many frames waiting on this connection',
          retryAfterMs: 1000,
        });
      }
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // e.g. a frame over maxPayload (ws closes with 1009) or invalid UTF-8 (1007).
      connection.closeReason ??= 'error';
      this.logger.warn({ connectionId: connection.id, code: err.code }, 'client socket error');
    });
    ws.on('close', (code: number) => this.onClose(connection, code));
    connection.send({
      type: 'hello',
      connectionId: connection.id,
      userId: connection.userId,
      username: connection.username,
      deviceId: connection.deviceId,
      gatewayId: this.config.GATEWAY_ID,
      heartbeatMs: this.config.WS_PING_INTERVAL_MS,
      expiresAt: new Date(connection.expiresAt).toISOString(),
      resumeTicket,
      ...(backups.length > 0 ? { backups: [...backups] } : {}),
    });
    connection.opened = this.events.opened(connection);
    // Sockets come and go by the thousand a second in a reconnect storm: an ordinary open or
    // close is a debug line (the gauges on /metrics count them), an unusual close stays info.
    this.logger.debug(
      { connectionId: connection.id, userId: connection.userId, deviceId: connection.deviceId },
      'client connected',
    );
  }

  private onClose(connection: ClientConnection, code: number): void {
    connection.dispose();
    this.registry.remove(connection.id);
    this.pings.remove(connection);
    this.lifecycle.closed(connection.id);
    this.admissions.release(connection.userId, connection.id).catch((err: unknown) => {
      this.logger.warn({ err, connectionId: connection.id }, 'socket admission not released');
    });
    const reason: CloseReason = connection.closeReason ?? 'client';
    if (connection.resumeTicket && endsResumption(reason, code)) {
      this.resumeTickets.drop(connection.resumeTicket).catch((err: unknown) => {
        this.logger.warn({ err, connectionId: connection.id }, 'resume ticket not dropped');
      });
    }
    const closed = { connectionId: connection.id, userId: connection.userId, code, reason };
    if (saidGoodbye(reason, code) || reason === 'replaced') {
      this.logger.debug(closed, 'client disconnected');
    } else {
      this.logger.log(closed, 'client disconnected');
    }
    const published = connection.opened.then(() => this.events.closed(connection, reason));
    this.closedEvents.add(published);
    void published.finally(() => this.closedEvents.delete(published));
  }

  /**
   * The sockets of this slice of the ping interval (PingWheel): one that has not answered its
   * previous ping is gone and is terminated, the others are pinged.
   */
  private pingSlice(): void {
    for (const connection of this.pings.turn()) {
      if (!connection.alive) {
        connection.terminate('heartbeat-timeout');
        continue;
      }
      connection.alive = false;
      try {
        connection.socket.ping();
      } catch {
        connection.terminate('error');
      }
    }
  }
}

/** Answers a refused upgrade with a plain HTTP error (the socket never becomes a WebSocket). */
function refuse(socket: Duplex, { status, code, message }: UpgradeRefusal): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]);
  if (timer) clearTimeout(timer);
}
