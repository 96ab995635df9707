import WebSocket from 'ws';
import { type Handshake, UpgradeRefusedError, type WebSocketFactory } from '../socket';

const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Sockets for Node (the terminal client, tests, tools) with `ws`, which, unlike a browser, shows
 * the server's pings (they keep the client's silence watchdog fed) and sends headers with the
 * upgrade (so a socket can open directly with the access token). (Import from
 * `@parley/client/node/ws-socket`; the browser build never sees this file.)
 */
export function nodeWebSockets(
  options: {
    origin?: string;
    handshakeTimeoutMs?: number;
    /** Sees each `ws` socket made (tests that need the raw socket). */
    created?: (socket: WebSocket) => void;
  } = {},
): WebSocketFactory {
  const open = (url: string, onPing: () => void, handshake?: Handshake) => {
    const socket = new WebSocket(url, handshake?.protocols ? [...handshake.protocols] : [], {
      handshakeTimeout: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      ...(options.origin ? { origin: options.origin } : {}),
      ...(handshake?.headers ? { headers: { ...handshake.headers } } : {}),
    });
    socket.on('ping', onPing);
    // A refused upgrade: say which HTTP status refused it (browsers cannot see it).
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      socket.emit('error', new UpgradeRefusedError(res.statusCode ?? 0));
      socket.terminate();
    });
    // An 'error' without a listener would be thrown; 'close' follows it and is handled.
    socket.on('error', () => undefined);
    options.created?.(socket);
    return socket;
  };
  return Object.assign(open, { bearer: 'header' as const });
}
