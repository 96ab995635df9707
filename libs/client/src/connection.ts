import {
  CloseCode,
  type ClientFrame,
  FINAL_CLOSE_CODES,
  type HelloFrame,
  type ServerFrame,
} from '@parley/protocol';
import { ApiClient, httpBaseOfSocketUrl, socketUrlOfHttpBase } from './api-client';
import { backoffDelay, resumeDelay } from './backoff';
import { Emitter } from './emitter';
import { ApiError, NotLoggedInError, OfflineError } from './errors';
import { ProtocolSocket, SocketAccess, UpgradeRefusedError, WebSocketFactory } from './socket';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'online'; gatewayId: string; url: string }
  | { kind: 'offline'; reason: string; retryInMs: number }
  | {
      kind: 'stopped';
      reason?: string;
      /** The server's close code, when it ended it. */ code?: number;
    };

export interface ConnectionEvents extends Record<string, unknown> {
  state: ConnectionState;
  /** The socket is usable: flush the outbox, sync. */
  hello: HelloFrame;
  /** Every other frame, after the hello. */
  frame: ServerFrame;
}

const HELLO_TIMEOUT_MS = 10_000;
/** How long a gateway this device could not reach is avoided when asking for one. */
const UNREACHABLE_MEMORY_MS = 30_000;
/** The socket's authorization is renewed this long before it would expire. */
const RENEW_BEFORE_MS = 60_000;
const MIN_RENEW_DELAY_MS = 1_000;

const FINAL_CLOSE_REASONS: Record<number, string> = {
  [CloseCode.SessionEnded]: 'your session ended (logged out elsewhere?): log in again',
  [CloseCode.Replaced]: 'this device connected again from another window or process',
};

export interface ConnectionOptions {
  api: ApiClient;
  deviceId: string;
  sockets: WebSocketFactory;
  /**
   * `v2` (ParleyClient's sync): ask the gateway to hold live pushes on each new socket until its
   * first sync round converges (ordered resume). Leave it out for a socket that never syncs.
   */
  sync?: 'v2';
  /** Jitter source (tests pass a fixed one). */
  random?: () => number;
}

/**
 * One logical connection that survives network trouble. An attempt opens the socket directly on
 * the API's gateway with the access token in the upgrade (where the sockets have a `bearer` way);
 * when that gateway refuses (421: busier than the others) or there is no such way, it asks the
 * directory (`POST /v1/connect`) for a gateway and a fresh single-use ticket and opens the socket
 * there. After a drop it first tries the last socket's resume ticket (from its `hello`) on the
 * gateways it already knows, which skips the directory round, within 100 ms of the drop. After a
 * failure (or a drop with no ticket to resume) it waits with jittered exponential backoff and
 * starts over. The socket is renewed (`auth`) before its authorization expires. A socket that
 * stops hearing the server's pings (where the platform shows pings) is treated as dead. Ending
 * the session (4001) or being replaced by the same device (4003) stops it: reconnecting could not
 * help.
 */
export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  private socket: ProtocolSocket | undefined;
  private attempt = 0;
  private readonly unreachable = new Map<string, number>();
  private socketUrl?: string;
  /** The gateways of the last directory answer or direct socket (its choice, then its backups). */
  private knownUrls: string[] = [];
  /** The last socket's resume ticket, and until when that socket was authorized (epoch ms). */
  private resumeTicket?: string;
  private authorizedUntil = 0;
  private stopped = true;
  private ready = false;
  private heartbeatMs: number | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private current: ConnectionState = { kind: 'stopped' };

  constructor(private readonly options: ConnectionOptions) {}

  get state(): ConnectionState {
    return this.current;
  }

  get isOnline(): boolean {
    return this.ready;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  stop(reason?: string, code?: number): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    this.ready = false;
    // Its socket is closed for good (1000): the gateway drops the ticket too.
    this.resumeTicket = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
    this.setState({ kind: 'stopped', reason, ...(code !== undefined ? { code } : {}) });
  }

  /** Sends a frame if the socket is up; false otherwise (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    return this.ready && this.socket !== undefined && this.socket.send(frame);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.setState({ kind: 'connecting', attempt: this.attempt });
    try {
      if (await this.resume()) return;
      if (await this.direct()) return;
      const answer = await this.options.api.connect(
        this.options.deviceId,
        this.options.sync,
        this.recentlyUnreachable(),
      );
      if (this.stopped) return;
      const urls = [answer.url, ...answer.backups.filter((u) => u !== answer.url)];
      this.learnGateways(urls);
      // The directory's choice first, then the backups with the same ticket (a gateway that never
      // saw the ticket did not use it up); when every one fails, a fresh ticket next round.
      const { opened, failure } = await this.openFirst(urls, { ticket: answer.ticket }, false);
      if (!opened && !this.stopped) throw failure;
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
   * Right after a drop: the last socket's resume ticket opens a socket on a gateway this device
   * already knows (the last directory answer's, minus those it could not reach lately), without
   * the directory round. The ticket is single-use, so it goes on to the next gateway only while
   * none has answered: a gateway that refused the upgrade has used it up, and the directory is
   * asked instead. True when a socket opened (or the connection was stopped meanwhile).
   */
  private async resume(): Promise<boolean> {
    const ticket = this.resumeTicket;
    const usable = this.canResume();
    this.resumeTicket = undefined;
    if (!ticket || !usable) return false;
    const unreachable = new Set(this.recentlyUnreachable());
    const candidates = this.knownUrls.filter((u) => !unreachable.has(u));
    const { opened } = await this.openFirst(candidates, { ticket }, true);
    return opened || this.stopped;
  }

  /**
   * Without a ticket to resume, where the sockets can carry the access token in the upgrade (a
   * header in Node, a subprotocol in a browser): the socket opens on the API's gateway with it,
   * the directory's answer and the upgrade in one exchange. Any refusal (421: that gateway is
   * busier than the others; 401: the token) sends this attempt to the directory, which also
   * refreshes the token. A browser shows a refusal as a failed open, so there a failure does not
   * mark the gateway unreachable (it served the page). True when a socket opened (or the
   * connection was stopped meanwhile).
   */
  private async direct(): Promise<boolean> {
    const url = socketUrlOfHttpBase(this.options.api.server);
    if (!this.options.sockets.bearer || !url) return false;
    if (this.recentlyUnreachable().includes(url)) return false;
    const access: SocketAccess = {
      accessToken: await this.options.api.accessToken(),
      deviceId: this.options.deviceId,
      ...(this.options.sync ? { sync: this.options.sync } : {}),
    };
    const markUnreachable = this.options.sockets.bearer === 'header';
    const { opened } = await this.openFirst([url], access, true, markUnreachable);
    return opened || this.stopped;
  }

  /**
   * The gateways a resume ticket may go to, and the API's fallbacks: a directory answer's (its
   * choice, then its backups) or a directly opened socket's (its gateway, then its hello's backups).
   */
  private learnGateways(urls: readonly string[]): void {
    this.knownUrls = [...new Set(urls)];
    this.options.api.setFallbacks(
      this.knownUrls.map(httpBaseOfSocketUrl).filter((u): u is string => u !== undefined),
    );
  }

  /** Whether the last socket's resume ticket may still be tried (it dies with its authorization). */
  private canResume(): boolean {
    return this.resumeTicket !== undefined && Date.now() < this.authorizedUntil;
  }

  /**
   * Opens a socket with `access` on the first of `urls` that takes it, marking the ones that could
   * not be reached (unless `markUnreachable` is false). `refusalUsesUp`: a gateway that refused the
   * upgrade has consumed the ticket (or refused the token), so no other is tried. A socket that
   * opens after `stop()` is closed at once; one that opens waits for its hello under a watchdog.
   */
  private async openFirst(
    urls: readonly string[],
    access: SocketAccess,
    refusalUsesUp: boolean,
    markUnreachable = true,
  ): Promise<{ opened: boolean; failure: unknown }> {
    let failure: unknown = new Error('no gateway URL');
    for (const url of urls) {
      try {
        const socket = await this.open(url, access);
        if (this.stopped) socket.close(1000);
        else if (!this.ready) this.armWatchdog(HELLO_TIMEOUT_MS);
        return { opened: true, failure: undefined };
      } catch (err) {
        failure = err;
        if (this.stopped || (refusalUsesUp && err instanceof UpgradeRefusedError)) break;
        if (markUnreachable) this.unreachable.set(url, Date.now());
      }
    }
    return { opened: false, failure };
  }

  /**
   * Gateway URLs that refused or dropped this device's socket in the last UNREACHABLE_MEMORY_MS:
   * the next connect asks the directory to avoid them (a gateway that just died may still be
   * listed for a beat or two).
   */
  private recentlyUnreachable(): string[] {
    const since = Date.now() - UNREACHABLE_MEMORY_MS;
    for (const [url, at] of this.unreachable) if (at < since) this.unreachable.delete(url);
    return [...this.unreachable.keys()];
  }

  /** Opens one socket; its frames count only while it is the current one. */
  private async open(url: string, access: SocketAccess): Promise<ProtocolSocket> {
    const socket: ProtocolSocket = new ProtocolSocket(this.options.sockets, url, access, {
      frame: (frame) => this.onFrame(socket, url, frame),
      close: (code) => this.onClose(socket, url, code),
      ping: () => {
        if (this.ready && this.socket === socket) this.armWatchdog(this.silenceLimit());
      },
    });
    this.socket = socket;
    this.socketUrl = url;
    try {
      await socket.opened;
    } catch (err) {
      if (this.socket === socket) this.socket = undefined;
      throw err;
    }
    return socket;
  }

  private onFrame(socket: ProtocolSocket, url: string, frame: ServerFrame): void {
    if (this.socket !== socket) return;
    if (frame.type === 'hello') {
      this.ready = true;
      this.attempt = 0;
      this.heartbeatMs = frame.heartbeatMs;
      this.resumeTicket = frame.resumeTicket;
      if (frame.backups) this.learnGateways([url, ...frame.backups]);
      this.armWatchdog(this.silenceLimit());
      this.scheduleRenewal(frame.expiresAt);
      this.setState({ kind: 'online', gatewayId: frame.gatewayId, url });
      this.events.emit('hello', frame);
      return;
    }
    if (!this.ready) return; // nothing is valid before the hello
    this.armWatchdog(this.silenceLimit());
    if (frame.type === 'auth.ok') {
      this.scheduleRenewal(frame.expiresAt);
      return;
    }
    this.events.emit('frame', frame);
  }

  private onClose(socket: ProtocolSocket, url: string, code: number): void {
    if (this.socket !== socket) return;
    // Dropped without a closing handshake (the gateway died), silent (4000: stopped, or cut off)
    // or going away: avoid it next time.
    if (code === 1006 || code === 1001 || code === 4000) this.unreachable.set(url, Date.now());
    this.socket = undefined;
    this.ready = false;
    this.clearTimers();
    if (this.stopped) return;
    if (FINAL_CLOSE_CODES.includes(code)) {
      this.stop(FINAL_CLOSE_REASONS[code], code);
      return;
    }
    const reason = code === 1000 ? 'closed by the server' : `connection lost (${code})`;
    // Holding a resume ticket, the first try goes to a known gateway at once (within the spread).
    this.scheduleRetry(reason, this.canResume() ? resumeDelay(this.options.random) : undefined);
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
    this.authorizedUntil = at;
    const delay = Math.max(MIN_RENEW_DELAY_MS, at - Date.now() - RENEW_BEFORE_MS);
    this.renewTimer = setTimeout(() => void this.renew(), delay);
  }

  private async renew(): Promise<void> {
    try {
      const token = await this.options.api.freshAccessToken();
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
    this.watchdog = setTimeout(() => {
      const socket = this.socket;
      if (!socket) return;
      this.onClose(socket, this.socketUrl ?? '', 4000);
      socket.close(4000);
    }, ms);
  }

  /** Waits `delayMs` (default: the backoff for this attempt), then tries again. */
  private scheduleRetry(reason: string, delayMs?: number): void {
    const retryInMs = delayMs ?? backoffDelay(this.attempt, this.options.random);
    this.attempt++;
    this.setState({ kind: 'offline', reason, retryInMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.run(), retryInMs);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    clearTimeout(this.renewTimer);
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.events.emit('state', state);
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof OfflineError) return `server unreachable (${err.server})`;
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return 'connection failed';
}
