import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { drainRefusedBody } from './drain-refused-body';

const CHUNK = 64 * 1024;

/** A body that keeps coming: `total` bytes in 64 KiB chunks, or without end. */
function bodyOf(total = Infinity): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      controller.enqueue(new Uint8Array(Math.min(CHUNK, total - sent)));
      sent += CHUNK;
    },
  });
}

describe('drainRefusedBody', () => {
  let server: Server;
  let url: string;
  let closed: Promise<void>[];
  let sockets: Set<unknown>;
  let limits = { ms: 2000, bytes: 1 << 20 };

  /** Reads one chunk of the body, then refuses it, as an upload cut off at its cap does. */
  function refuse(req: IncomingMessage, res: ServerResponse): void {
    sockets.add(req.socket);
    closed.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
    req.once('data', () => {
      req.pause();
      drainRefusedBody(req, res, limits);
      res.writeHead(413, { 'Content-Type': 'application/json' }).end('{"code":"too_large"}');
    });
  }

  beforeEach(async () => {
    closed = [];
    sockets = new Set();
    limits = { ms: 2000, bytes: 1 << 20 };
    server = createServer(refuse);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A client on a bare socket: what it writes and when it closes are the test's to decide. */
  function rawClient(): { socket: Socket; answers: () => string; closed: Promise<void> } {
    const { port } = server.address() as AddressInfo;
    // Half-open allowed, as an HTTP client's socket: our FIN does not end its sending.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let answers = '';
    socket.on('data', (chunk: Buffer) => (answers += chunk.toString()));
    socket.on('error', () => undefined); // the server closing under a write: expected here
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { socket, answers: () => answers, closed };
  }

  const post = (body: ReadableStream<Uint8Array>): Promise<Response> =>
    fetch(url, { method: 'POST', body, duplex: 'half' });

  it('lets a client still sending an endless body read the refusal', async () => {
    for (let i = 0; i < 10; i += 1) {
      const res = await post(bodyOf());
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ code: 'too_large' });
    }
  });

  it('stops reading at the byte limit and closes the connection at the time limit', async () => {
    // The byte limit must be reached well before the time limit, even on a busy machine (a CI
    // run wrote only 320 KiB in 300 ms): a small limit, a generous time.
    limits = { ms: 1500, bytes: 256 << 10 };
    let received = 0;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      closed.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.once('data', () => {
        req.pause();
        drainRefusedBody(req, res, limits);
        res.writeHead(413).end('too_large');
      });
    });
    const client = rawClient();
    client.socket.write(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.concat([
      Buffer.from(`${CHUNK.toString(16)}\r\n`),
      Buffer.alloc(CHUNK),
      Buffer.from('\r\n'),
    ]);
    const writing = setInterval(() => {
      if (!client.socket.destroyed && client.socket.writableLength < 4 * CHUNK) {
        client.socket.write(chunk);
      }
    }, 1);
    await until(() => client.answers().includes('too_large'));
    await client.closed;
    clearInterval(writing);
    // Read off: the limit and at most one socket read past it, not what the client kept sending.
    expect(received).toBeGreaterThan(limits.bytes);
    expect(received).toBeLessThan(limits.bytes + 4 * CHUNK + 1024 * 1024);
  });

  it('closes the connection after the time limit when the rest of the body stalls', async () => {
    limits = { ms: 100, bytes: 1 << 30 };
    const client = rawClient();
    client.socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * CHUNK}\r\n\r\n`);
    client.socket.write(Buffer.alloc(CHUNK));
    await until(() => client.answers().includes('too_large'));
    // The server's socket closes at the time limit (the client, half-open, never closes its own).
    await Promise.all(closed);
    expect(client.socket.destroyed).toBe(false);
    client.socket.destroy();
  });

  it('says Connection: close, and lets a client that finishes its body close quietly', async () => {
    const client = rawClient();
    client.socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * CHUNK}\r\n\r\n`);
    client.socket.write(Buffer.alloc(CHUNK));
    await until(() => client.answers().includes('too_large'));
    expect(client.answers().toLowerCase()).toContain('connection: close');
    // Our side is closed (no more answers) but the rest of the body is still read...
    expect(client.socket.writable).toBe(true);
    client.socket.end(Buffer.alloc(CHUNK));
    // ...and the client's close ends the connection, long before the time limit.
    await client.closed;
    expect(sockets.size).toBe(1);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
