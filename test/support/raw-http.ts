import { connect, Socket } from 'node:net';
import { withTimeout } from '@parley/common';

/** What came back on a raw TCP connection: everything the server wrote, and whether it closed. */
export interface RawExchange {
  socket: Socket;
  /** Resolves with all bytes received once the server closes the connection. */
  closed: Promise<string>;
}

/**
 * A raw TCP connection to an HTTP server, for requests no HTTP client would send (a malformed
 * request target, a head or body written a byte at a time).
 */
export function rawConnection(httpUrl: string): Promise<RawExchange> {
  const { hostname, port } = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

/** Sends one raw request and resolves with the status line's code and the raw answer. */
export async function rawRequest(
  httpUrl: string,
  head: string,
): Promise<{ status: number; answer: string }> {
  const { socket, closed } = await rawConnection(httpUrl);
  socket.on('error', () => undefined);
  socket.write(head);
  const answer = await withTimeout(closed, 10_000, 'the server (its answer and close)');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  return { status, answer };
}

/** Resolves with the bytes received when the server closes, or rejects after `ms`. */
export function closedWithin(exchange: RawExchange, ms: number): Promise<string> {
  return withTimeout(exchange.closed, ms, 'the server (closing the connection)');
}

/** The headers of a WebSocket handshake for `target` (Connection: close after the answer). */
export function upgradeHead(target: string, extra: Record<string, string> = {}): string {
  const lines = [
    `GET ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
