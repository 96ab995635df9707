import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, ErrorCode } from '@parley/common';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config/gateway.config';
import { TICKET_PATTERN, TicketGrant } from '../connect/connect-ticket';
import { UnackedSends } from '../messaging/unacked-sends';
import { ConnectTicketsRepository } from '../connect/connect-tickets.repository';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import { ClientConnection, CloseReason } from './client-connection';
import { ConnectionEventsPublisher } from './connection-events.publisher';
import { FrameDispatcher } from './frame-dispatcher.service';

export const WS_PATH = '/ws';
/** How long shutdown waits for clients to answer the 1001 close before cutting them off. */
const SHUTDOWN_CLOSE_WAIT_MS = 2000;
/** How long shutdown waits for connection.closed events to reach Kafka. */
const SHUTDOWN_EVENTS_WAIT_MS = 5000;

/**
 * The client WebSocket endpoint, on the same HTTP server as the API (path /ws). The ticket is
 * checked BEFORE the upgrade: missing, unknown, used, expired or issued for another gateway ->
 * HTTP 401 and no socket. Each accepted socket is registered, greeted with `hello`, announced
 * (connection.opened), kept alive by ping/pong, and announced again when it closes. On shutdown
 * every socket is closed with 1001 ("going away").
 */
@Injectable()
export class WebSocketServerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebSocketServerService.name);
  private wss?: WebSocketServer;
  private pingTimer?: NodeJS.Timeout;
  private closing = false;
  private readonly closedEvents = new Set<Promise<void>>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tickets: ConnectTicketsRepository,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    private readonly dispatcher: FrameDispatcher,
    private readonly events: ConnectionEventsPublisher,
    private readonly unacked: UnackedSends,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      GatewayConfig,
      'GATEWAY_ID' | 'WS_MAX_PAYLOAD_BYTES' | 'WS_PING_INTERVAL_MS' | 'WS_MAX_QUEUED_FRAMES'
    >,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.config.WS_MAX_PAYLOAD_BYTES,
      perMessageDeflate: false,
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.upgrade(req, socket, head);
    });
    this.pingTimer = setInterval(() => this.pingAll(), this.config.WS_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    const open = this.registry.all();
    if (open.length > 0) this.logger.log({ sockets: open.length }, 'closing client sockets');
    const closed = open.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.socket.readyState === WebSocket.CLOSED) return resolve();
          c.socket.once('close', () => resolve());
          c.close(1001, 'gateway shutting down', 'shutdown');
        }),
    );
    await waitAtMost(Promise.all(closed), SHUTDOWN_CLOSE_WAIT_MS);
    for (const c of this.registry.all()) c.terminate('shutdown');
    await waitAtMost(Promise.allSettled([...this.closedEvents]), SHUTDOWN_EVENTS_WAIT_MS);
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (this.closing) return refuse(socket, 503, ErrorCode.Unavailable, 'Gateway is shutting down');
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, ErrorCode.NotFound, 'No such route');
    const ticket = url.searchParams.get('ticket');
    if (!ticket || !TICKET_PATTERN.test(ticket)) {
      return refuse(socket, 401, ErrorCode.Unauthorized, 'Missing or malformed connect ticket');
    }
    let grant: TicketGrant | null;
    try {
      grant = await this.tickets.consume(ticket);
    } catch (err) {
      this.logger.warn({ err }, 'connect ticket check failed');
      return refuse(socket, 503, ErrorCode.Unavailable, 'Try again');
    }
    // Unknown, already used and expired tickets look the same: Redis no longer has them.
    if (!grant) return refuse(socket, 401, ErrorCode.Unauthorized, 'Invalid or expired ticket');
    if (grant.gatewayId !== this.config.GATEWAY_ID) {
      return refuse(socket, 401, ErrorCode.Unauthorized, 'Ticket was issued for another gateway');
    }
    if (socket.destroyed || !this.wss) return;
    const accepted = grant;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, accepted));
  }

  private open(ws: WebSocket, grant: TicketGrant): void {
    const connection = new ClientConnection(
      randomUUID(),
      ws,
      grant,
      this.config.WS_MAX_QUEUED_FRAMES,
    );
    this.registry.add(connection.id, connection);
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const queued = connection.enqueue(() => this.dispatcher.handle(connection, data, isBinary));
      if (!queued) {
        connection.send({
          type: 'error',
          code: ErrorCode.Overloaded,
          message: 'Too many frames waiting on this connection',
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
    });
    connection.opened = this.events.opened(connection);
    this.logger.log(
      { connectionId: connection.id, userId: connection.userId, deviceId: connection.deviceId },
      'client connected',
    );
  }

  private onClose(connection: ClientConnection, code: number): void {
    this.registry.remove(connection.id);
    this.unacked.releaseConnection(connection.id);
    const reason: CloseReason = connection.closeReason ?? 'client';
    this.logger.log(
      { connectionId: connection.id, userId: connection.userId, code, reason },
      'client disconnected',
    );
    const published = connection.opened.then(() => this.events.closed(connection, reason));
    this.closedEvents.add(published);
    void published.finally(() => this.closedEvents.delete(published));
  }

  /** A socket that has not answered the previous ping is gone: terminate it. */
  private pingAll(): void {
    for (const connection of this.registry.all()) {
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
function refuse(socket: Duplex, status: number, code: ErrorCode, message: string): void {
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
