import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long, and how many more bytes, a refused upload's body is read off before closing. */
export interface DrainLimits {
  ms: number;
  bytes: number;
}

/**
 * A refusal about to be sent before the request's body was read to its end. The connection
 * cannot carry another request (the rest of this body is in the way), so the refusal says
 * `Connection: close`. Node then destroys the socket the moment the refusal is written, and the
 * kernel answers the client's unsent or unread bytes with a reset, which can reach the client
 * before it read the refusal: it sees "connection reset" instead of 413. So this closes the way
 * nginx and Apache do (a "lingering close"): once the refusal is written, only our side of the
 * connection is closed (FIN, no more answers), the rest of the body is read off and dropped, at
 * most `limits.bytes` (then reading stops and the client's sending stalls), and the socket is
 * destroyed after `limits.ms` if the client has not closed it by then. Time for a busy client to
 * read the refusal; a bounded cost for the server.
 */
export function drainRefusedBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: DrainLimits,
): void {
  if (req.complete) return;
  res.setHeader('Connection', 'close');
  const socket = req.socket;
  // What Node calls to close a `Connection: close` response's socket: a half-close instead.
  socket.destroySoon = () => socket.end();
  res.once('finish', () => {
    const timer = setTimeout(() => socket.destroy(), limits.ms);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    if (req.complete) return;
    let read = 0;
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > limits.bytes) req.pause();
    });
    req.resume();
  });
}
