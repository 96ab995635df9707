import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '@parley/client';
import {
  DirectoryAnswerError,
  DirectoryRequests,
  DirectoryTimeoutError,
} from './directory-request';

const ANSWER = {
  url: 'ws://127.0.0.1:3001/ws',
  backups: ['ws://127.0.0.1:3000/ws'],
  ticket: 'a'.repeat(43),
  deviceId: 'dev_abcdefghijklmnop',
  gatewayId: 'gateway-2',
  expiresIn: 30,
};

interface Seen {
  method?: string;
  url?: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

/**
 * A real HTTP server on `host` (a loopback address) answering each request with `answer`; what it
 * saw, in order.
 */
async function serve(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
): Promise<{ base: string; seen: Seen[]; sockets: () => number; server: Server }> {
  const seen: Seen[] = [];
  let sockets = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString(),
      });
      answer(req, res);
    });
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { base, seen, sockets: () => sockets, server };
}

function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('DirectoryRequests', () => {
  const servers: Server[] = [];
  const clients: DirectoryRequests[] = [];
  const client = (timeoutMs?: number) => {
    const c = new DirectoryRequests(timeoutMs);
    clients.push(c);
    return c;
  };
  const started = async (
    answer: (req: IncomingMessage, res: ServerResponse) => void,
    host = '127.0.0.1',
  ) => {
    const s = await serve(answer, host);
    servers.push(s.server);
    return s;
  };

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(
      servers.splice(0).map((s) => {
        s.closeAllConnections();
        return new Promise((resolve) => s.close(resolve));
      }),
    );
  });

  it('posts the body with the bearer token and returns the parsed answer, over one kept-alive socket', async () => {
    const { base, seen, sockets } = await started((_req, res) => json(res, 200, ANSWER));
    const requests = client();

    const first = await requests.connect(base, 'token-1', { deviceId: 'dev_abcdefghijklmnop' });
    const second = await requests.connect(base, 'token-1', {
      deviceId: 'dev_abcdefghijklmnop',
      sync: 'v2',
    });

    expect(first).toEqual(ANSWER);
    expect(second).toEqual(ANSWER);
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/v1/connect',
        authorization: 'Bearer token-1',
        contentType: 'application/json',
        body: '{"deviceId":"dev_abcdefghijklmnop"}',
      },
      {
        method: 'POST',
        url: '/v1/connect',
        authorization: 'Bearer token-1',
        contentType: 'application/json',
        body: '{"deviceId":"dev_abcdefghijklmnop","sync":"v2"}',
      },
    ]);
    expect(sockets()).toBe(1);
  });

  it("closes a kept-alive socket before the server's keep-alive timeout, so none is reused as it closes", async () => {
    const { base, server, sockets } = await started((_req, res) => json(res, 200, ANSWER));
    // The server announces `Keep-Alive: timeout=2`: the client keeps an idle socket for 1 s.
    server.keepAliveTimeout = 2000;
    const requests = client();

    await requests.connect(base, 't', {});
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await requests.connect(base, 't', {});

    expect(sockets()).toBe(2);
  });

  it("turns an error answer into the client library's ApiError, with Retry-After", async () => {
    const { base } = await started((_req, res) =>
      json(
        res,
        429,
        { error: { code: 'rate_limited', message: 'Too many requests' } },
        { 'retry-after': '3' },
      ),
    );

    const failure = await client()
      .connect(base, 't', {})
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 3 });
  });

  it('names the status when the error answer is not an error body', async () => {
    const { base } = await started((_req, res) => {
      res.writeHead(502);
      res.end('<html>bad gateway</html>');
    });

    const failure = await client()
      .connect(base, 't', {})
      .catch((e: unknown) => e);

    expect(failure).toMatchObject({ status: 502, code: 'http_502' });
  });

  it('refuses a 2xx answer that is not a connect answer', async () => {
    const { base } = await started((_req, res) => json(res, 200, { ...ANSWER, ticket: 'short' }));

    await expect(client().connect(base, 't', {})).rejects.toBeInstanceOf(DirectoryAnswerError);
  });

  it('gives up on a server that does not answer in time', async () => {
    const { base } = await started(() => undefined);

    await expect(client(100).connect(base, 't', {})).rejects.toBeInstanceOf(DirectoryTimeoutError);
  });

  it('reaches a gateway named by an IPv6 loopback address', async () => {
    const { base } = await started((_req, res) => json(res, 200, ANSWER), '::1');
    expect(base).toMatch(/^http:\/\/\[::1\]:\d+$/);

    await expect(client().connect(base, 't', {})).resolves.toEqual(ANSWER);
  });

  it('refuses a base that is not http', async () => {
    await expect(client().connect('https://127.0.0.1:1', 't', {})).rejects.toThrow(
      'not an http URL',
    );
  });
});
