import { createServer as createHttpServer, Server as HttpServer } from 'node:http';
import { connect as tcpConnect, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy that a test can cut or stall. `block()` destroys every open socket and refuses new
 * ones until `unblock()`. `stall()` stops forwarding on every open connection without closing it
 * (a peer or network path that stopped answering, no reset sent), while new connections pass as
 * before; the stalled ones are destroyed at the next `block()` or `close()`.
 *
 * The e2e set-up runs storage's DATABASE_URL through one, so a test can make the database
 * unreachable for storage alone ("a stopped or blocked database") while everything keeps running,
 * and the first gateway's REDIS_URL through another, so a test can stall its Redis connections.
 * Each runs in a process of its own (blockable-proxy-cli.ts), not in the test runner, whose event
 * loop is busy with a fault run's thousand devices: the traffic never waits behind them. It is
 * controlled over a small HTTP endpoint: POST /block, POST /unblock, POST /stall.
 */
export class BlockableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly stalled = new Set<Socket>();
  private control: HttpServer | undefined;
  private blocked = false;
  port = 0;
  controlUrl = '';

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    this.port = await listen(this.server);
    this.control = createHttpServer((req, res) => {
      if (req.method === 'POST' && req.url === '/block') this.block();
      else if (req.method === 'POST' && req.url === '/unblock') this.unblock();
      else if (req.method === 'POST' && req.url === '/stall') this.stall();
      else if (!(req.method === 'GET' && req.url === '/')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          blocked: this.blocked,
          open: this.sockets.size,
          stalled: this.stalled.size,
        }),
      );
    });
    this.controlUrl = `http://127.0.0.1:${await listen(this.control)}`;
  }

  block(): void {
    this.blocked = true;
    for (const socket of [...this.sockets, ...this.stalled]) socket.destroy();
    this.sockets.clear();
    this.stalled.clear();
  }

  /**
   * Every open connection stops forwarding, both ways, and stays open: what arrives is read and
   * dropped, nothing is answered, and the upstream closing its end is not passed on either (the
   * client must notice by itself). Read, not left unread, so a client that gives up and closes
   * its end is seen to: `stalled` counts the sockets of connections no client has dropped yet.
   */
  stall(): void {
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.on('data', () => undefined);
      socket.resume();
      this.stalled.add(socket);
    }
    this.sockets.clear();
  }

  unblock(): void {
    this.blocked = false;
  }

  async close(): Promise<void> {
    this.block();
    await Promise.all(
      [this.server, this.control].map(
        (s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve())),
      ),
    );
  }

  private accept(client: Socket): void {
    if (this.blocked) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(this.upstreamPort, this.upstreamHost);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        const wasStalled = this.stalled.delete(a);
        this.sockets.delete(a);
        // A stalled upstream's end stays unseen by its client; a client's end frees its upstream.
        if (!(wasStalled && a === upstream)) b.destroy();
      });
    }
  }
}

function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
}

/** From a test: cut or restore storage's database connection. */
export async function setStorageDatabaseBlocked(
  controlUrl: string,
  blocked: boolean,
): Promise<void> {
  await controlProxy(controlUrl, blocked ? 'block' : 'unblock');
}

/** From a test: tell the proxy at `controlUrl` to block, unblock or stall, or ask its status. */
export async function controlProxy(
  controlUrl: string,
  action: 'block' | 'unblock' | 'stall' | 'status',
): Promise<{ blocked: boolean; open: number; stalled: number }> {
  const res =
    action === 'status'
      ? await fetch(controlUrl)
      : await fetch(`${controlUrl}/${action}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`proxy control answered ${res.status}`);
  return (await res.json()) as { blocked: boolean; open: number; stalled: number };
}
