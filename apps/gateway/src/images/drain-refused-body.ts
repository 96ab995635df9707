import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long, and how many more bytes, a refused upload's body is read off before closing. */
export interface DrainLimits {
  ms: number;
  bytes: number;
}

/**
 * A refusal sent before the request's body was read to its end: once the refusal is written,
 * reads the rest of the body off and drops it, for at most `limits.ms` and `limits.bytes`, then
 * closes the connection if the body has still not ended. Closing at once (or destroying the
 * request) makes the kernel answer the client's unread bytes with a reset, which can reach the
 * client before it read the refusal: it sees "connection reset" instead of 413 (the "lingering
 * close" nginx and Apache do). A body that ends within the limits leaves the connection usable.
 */
export function drainRefusedBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: DrainLimits,
): void {
  if (req.complete) return;
  res.once('finish', () => {
    if (req.complete) return;
    let read = 0;
    const close = (): void => {
      clearTimeout(timer);
      req.socket.destroy();
    };
    const timer = setTimeout(close, limits.ms);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > limits.bytes) close();
    });
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    req.resume();
  });
}
