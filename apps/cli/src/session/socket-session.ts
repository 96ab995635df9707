import { CloseCode, type ClientFrame, type HelloFrame, type ServerFrame } from '@parley/common';
import WebSocket from 'ws';
import { ApiClient } from '../api/api.client';
import { ApiError, NotLoggedInError, OfflineError } from '../api/api.errors';
import { httpBaseOfSocketUrl } from '../config/config-paths';
import { backoffDelay } from './backoff';
import { parseServerFrame } from './server-frame';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'online'; gatewayId: string; url: string }
  | { kind: 'offline'; reason: string; retryInMs: number }
  | { kind: 'stopped'; reason?: string };

export interface SocketSessionHandlers {
  onState(state: ConnectionState): void;
  /** The socket is usable: flush the outbox, sync, load history. */
  onHello(hello: HelloFrame): void;
  onFrame(frame: ServerFrame): void;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
const HELLO_TIMEOUT_MS = 10_000;
/** The socket's authorization is renewed this long before it would expire. */
const RENEW_BEFORE_MS = 60_000;
const MIN_RENEW_DELAY_MS = 1_000;

/** Closes after which reconnecting cannot help: the session ends here. */
const FINAL_CLOSES: Record<number, string> = {
  [CloseCode.SessionEnded]: 'your session ended (logged out elsewhere?): run `parley login`',
  [CloseCode.Replaced]: 'this device connected again from another parley process',
};

/**
 * One logical connection that survives network trouble: each attempt asks the directory
 * (POST /v1/connect) for a gateway and a fresh single-use ticket, tries the chosen gateway and then
 * the backups, and after a failure or a drop waits with exponential backoff and starts over.
 * A socket that stops hearing the server's pings is treated as dead.
 */
export class SocketSession {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private ready = false;
  private heartbeatMs: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private state: ConnectionState = { kind: 'connecting', attempt: 0 };

  constructor(
    private readonly api: ApiClient,
    private readonly deviceId: string,
    private readonly handlers: SocketSessionHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    void this.run();
  }

  stop(reason?: string): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    clearTimeout(this.renewTimer);
    this.ready = false;
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket?.close(1000);
    this.socket = undefined;
    this.setState({ kind: 'stopped', reason });
  }

  get isOnline(): boolean {
    return this.ready;
  }

  get current(): ConnectionState {
    return this.state;
  }

  /** Sends a frame if the socket is up; false otherwise (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    if (!this.ready || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.setState({ kind: 'connecting', attempt: this.attempt });
    try {
      const answer = await this.api.connect(this.deviceId);
      if (this.stopped) return;
      const urls = [answer.url, ...answer.backups.filter((u) => u !== answer.url)];
      this.api.setFallbacks(
        urls.map(httpBaseOfSocketUrl).filter((u): u is string => u !== undefined),
      );
      // A ticket is consumed only by a gateway that sees it: after a network failure the same
      // ticket may go to the next URL; a refused upgrade (401) needs a fresh one (next round).
      let lastError: Error = new Error('no gateway URL');
      for (const url of urls) {
        try {
          await this.open(url, answer.ticket);
          return;
        } catch (err) {
          lastError = err instanceof Error ? err : new Error(String(err));
          if (err instanceof UpgradeRefused) break;
        }
      }
      throw lastError;
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof NotLoggedInError) {
        this.stop(err.message);
        return;
      }
      this.scheduleRetry(describeFailure(err));
    }
  }

  /**
   * Opens one socket. Handlers are attached inside the 'open' event itself: the gateway sends
   * `hello` right after the upgrade, possibly in the same packet, so attaching later can miss it.
   */
  private open(url: string, ticket: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${url}?ticket=${encodeURIComponent(ticket)}`, {
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      });
      const fail = (err: Error) => {
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        reject(err);
      };
      socket.once('open', () => {
        socket.removeAllListeners();
        if (this.stopped) socket.close(1000);
        else this.attach(socket, url);
        resolve();
      });
      socket.once('unexpected-response', (_req, res) =>
        fail(new UpgradeRefused(res.statusCode ?? 0)),
      );
      socket.once('error', (err) => fail(err));
    });
  }

  private attach(socket: WebSocket, url: string): void {
    this.socket = socket;
    this.armWatchdog(HELLO_TIMEOUT_MS);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = parseServerFrame(rawToString(data));
      if (!frame) return;
      if (frame.type === 'hello') {
        this.ready = true;
        this.attempt = 0;
        this.heartbeatMs = frame.heartbeatMs;
        this.armWatchdog(this.silenceLimit());
        this.scheduleRenewal(frame.expiresAt);
        this.setState({ kind: 'online', gatewayId: frame.gatewayId, url });
        this.handlers.onHello(frame);
        return;
      }
      if (!this.ready) return; // nothing is valid before the hello
      this.armWatchdog(this.silenceLimit());
      if (frame.type === 'auth.ok') {
        this.scheduleRenewal(frame.expiresAt);
        return;
      }
      this.handlers.onFrame(frame);
    });
    socket.on('ping', () => {
      if (this.ready) this.armWatchdog(this.silenceLimit());
    });
    socket.on('error', () => undefined); // 'close' follows and schedules the retry
    socket.on('close', (code) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.ready = false;
      clearTimeout(this.watchdog);
      clearTimeout(this.renewTimer);
      if (this.stopped) return;
      const final = FINAL_CLOSES[code];
      if (final) this.stop(final);
      else this.scheduleRetry(code === 1000 ? 'closed by the server' : `connection lost (${code})`);
    });
  }

  /**
   * Before the socket's authorization expires, a fresh access token renews it (`auth`); the
   * answer (`auth.ok`) schedules the next renewal. If renewing fails the server closes the socket
   * at expiry (4002) and the usual reconnect takes over.
   */
  private scheduleRenewal(expiresAt: string): void {
    clearTimeout(this.renewTimer);
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at)) return;
    const delay = Math.max(MIN_RENEW_DELAY_MS, at - Date.now() - RENEW_BEFORE_MS);
    this.renewTimer = setTimeout(() => void this.renew(), delay);
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    try {
      const token = await this.api.freshAccessToken();
      this.send({ type: 'auth', token });
    } catch (err) {
      if (err instanceof NotLoggedInError) this.stop(err.message);
    }
  }

  /** Two missed pings (plus slack) mean the connection is dead even if TCP has not noticed. */
  private silenceLimit(): number {
    return this.heartbeatMs && this.heartbeatMs > 0 ? this.heartbeatMs * 2 + 5_000 : 120_000;
  }

  private armWatchdog(ms: number): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.socket?.terminate(), ms);
    this.watchdog.unref();
  }

  private scheduleRetry(reason: string): void {
    const retryInMs = backoffDelay(this.attempt++);
    this.setState({ kind: 'offline', reason, retryInMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.run(), retryInMs);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.handlers.onState(state);
  }
}

class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`the gateway refused the connection (HTTP ${status})`);
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof OfflineError) return `server unreachable (${err.server})`;
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof UpgradeRefused) return err.message;
  if (err instanceof Error) return err.message;
  return 'connection failed';
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
