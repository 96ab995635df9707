import {
  BEARER_SUBPROTOCOL_PREFIX,
  type ClientFrame,
  decodeServerFrame,
  encodeFrame,
  PARLEY_SUBPROTOCOL,
  type ServerFrame,
} from '@parley/protocol';

/**
 * The part of a WebSocket the client uses: the browser's `WebSocket` and Node's `ws` both have
 * it (node/ws-socket.ts adapts `ws`, adding the server's pings, which browsers hide).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

/** What goes with an upgrade besides its URL: headers (Node) or subprotocols (any platform). */
export interface Handshake {
  headers?: Readonly<Record<string, string>>;
  protocols?: readonly string[];
}

/**
 * Opens a socket to `url`. `onPing` is called for every server ping where the platform shows
 * them; `handshake` goes with the upgrade.
 */
export interface WebSocketFactory {
  (url: string, onPing: () => void, handshake?: Handshake): WebSocketLike;
  /**
   * How this factory carries an access token in the upgrade, so a socket may open without a
   * ticket: an `Authorization` header (`header`: Node's `ws`) or a WebSocket subprotocol
   * (`protocol`: a browser, which cannot set headers). Absent: tickets only.
   */
  readonly bearer?: 'header' | 'protocol';
}

/**
 * How a socket is let in: a single-use ticket (from the directory, or a resume ticket), or the
 * access token itself in the upgrade, on a gateway that then keeps the socket or answers 421
 * (PROTOCOL.md, "Opening a socket directly"). Only a factory with a `bearer` way can use the
 * second.
 */
export type SocketAccess =
  { ticket: string } | { accessToken: string; deviceId: string; sync?: 'v2' };

/** The upgrade's URL and handshake for `access` on the gateway socket URL `url`. */
export function upgradeRequest(
  url: string,
  access: SocketAccess,
  bearer: WebSocketFactory['bearer'] = 'header',
): { url: string; handshake?: Handshake } {
  if ('ticket' in access) return { url: `${url}?ticket=${encodeURIComponent(access.ticket)}` };
  const query = new URLSearchParams({ device: access.deviceId });
  if (access.sync) query.set('sync', access.sync);
  return {
    url: `${url}?${query.toString()}`,
    handshake:
      bearer === 'protocol'
        ? { protocols: [PARLEY_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${access.accessToken}`] }
        : { headers: { authorization: `Bearer ${access.accessToken}` } },
  };
}

/**
 * The gateway refused the upgrade with this HTTP status (401 ticket, 403 origin, 429 too many
 * sockets...). Only Node sees the status; in a browser a refused upgrade is just a failed open.
 */
export class UpgradeRefusedError extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused: ${status}`);
    this.name = 'UpgradeRefusedError';
  }
}

/** The WebSocket `OPEN` ready state (the same constant in every implementation). */
export const OPEN = 1;

export interface ProtocolSocketHandlers {
  /** A valid server frame (frames of unknown types and invalid ones never reach this). */
  frame(frame: ServerFrame): void;
  /** A frame this client could not use: a newer server's frame type, or a broken frame. */
  ignored?(reason: string, type?: string): void;
  close(code: number): void;
  ping?(): void;
}

/**
 * One WebSocket speaking the Parley protocol: every text message is decoded with the protocol
 * library's codec, and frames are encoded on the way out. Handlers are wired before the socket
 * opens: the gateway sends `hello` right after the upgrade, possibly in the same packet. `opened`
 * resolves when the socket is open (rejects if it fails first). No reconnecting here: see
 * Connection.
 */
export class ProtocolSocket {
  private readonly socket: WebSocketLike;
  readonly opened: Promise<void>;

  constructor(
    factory: WebSocketFactory,
    url: string,
    access: string | SocketAccess,
    handlers: ProtocolSocketHandlers,
  ) {
    let opened = false;
    let settle!: (err?: Error) => void;
    this.opened = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    const upgrade = upgradeRequest(
      url,
      typeof access === 'string' ? { ticket: access } : access,
      factory.bearer,
    );
    this.socket = factory(upgrade.url, () => handlers.ping?.(), upgrade.handshake);
    this.socket.addEventListener('open', () => {
      opened = true;
      settle();
    });
    this.socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return handlers.ignored?.('binary');
      const decoded = decodeServerFrame(event.data);
      if (decoded.ok) handlers.frame(decoded.frame);
      else handlers.ignored?.(decoded.reason, decoded.type);
    });
    this.socket.addEventListener('close', (event) => {
      if (opened) handlers.close(event.code);
      else settle(new Error(`the socket closed before opening (${event.code})`));
    });
    this.socket.addEventListener('error', (event) => {
      if (opened) return;
      const cause = (event as { error?: unknown }).error;
      settle(
        cause instanceof UpgradeRefusedError ? cause : new Error('the socket could not be opened'),
      );
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /** Sends one frame if the socket is open; false otherwise. */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen) return false;
    this.socket.send(encodeFrame(frame));
    return true;
  }

  /** Sends text as is (tests and fuzzers send frames no client would). */
  sendRaw(text: string): boolean {
    if (!this.isOpen) return false;
    this.socket.send(text);
    return true;
  }

  close(code = 1000): void {
    this.socket.close(code);
  }
}
