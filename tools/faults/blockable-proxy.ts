import { createServer as createHttpServer, Server as HttpServer } from 'node:http';
import { connect as tcpConnect, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can cut: `block()` destroys every open socket and
 * refuses new ones until `unblock()`. The e2e set-up runs storage's DATABASE_URL through one, so a
 * test can make the database unreachable for storage alone ("a stopped or blocked database") while
 * everything keeps running. It runs in a process of its own (blockable-proxy-cli.ts), not in the
 * test runner, whose event loop is busy with a fault run's thousand devices: storage's queries
 * never wait behind them. It is controlled over a small HTTP endpoint: POST /block, POST /unblock.
 */
export class BlockableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
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
      else if (!(req.method === 'GET' && req.url === '/')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ blocked: this.blocked, open: this.sockets.size }));
    });
    this.controlUrl = `http://127.0.0.1:${await listen(this.control)}`;
  }

  block(): void {
    this.blocked = true;
    for (const socket of this.sockets) socket.destroy();
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
        this.sockets.delete(a);
        b.destroy();
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
  const res = await fetch(`${controlUrl}/${blocked ? 'block' : 'unblock'}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`proxy control answered ${res.status}`);
}
