import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { requestLogLevel, requestLogMiddleware } from './request-log.middleware';

/** A server whose handler runs behind the middleware, logging at `level` into `lines`. */
async function serve(
  level: string,
  handler: (res: ServerResponse) => void,
): Promise<{
  server: Server;
  port: number;
  lines: Record<string, unknown>[];
  listeners: number[];
}> {
  const lines: Record<string, unknown>[] = [];
  const listeners: number[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const middleware = requestLogMiddleware(pino({ level }, destination), {
    requestId: () => 'req-1',
    ignore: (req) => req.url === '/quiet',
  });
  const server = createServer((req, res) => {
    const before = res.listenerCount('close');
    middleware(req, res, () => {
      listeners.push(res.listenerCount('close') - before);
      handler(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, lines, listeners };
}

const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('requestLogMiddleware', () => {
  it('maps statuses to levels: 5xx error, 4xx info, the rest debug', () => {
    expect([200, 304, 400, 429, 500, 503].map(requestLogLevel)).toEqual([
      'debug',
      'debug',
      'info',
      'info',
      'error',
      'error',
    ]);
  });

  it('logs a request the client left before its answer as aborted, without its query', async () => {
    let reached = false;
    const { server, port, lines } = await serve('debug', () => {
      // Never answers: the client leaves first.
      reached = true;
    });
    try {
      const req = request({ port, path: '/slow?ticket=secret' });
      req.on('error', () => undefined);
      req.end();
      await until(() => reached);
      req.destroy();
      await until(() => lines.length === 1);
      expect(lines[0]).toMatchObject({
        level: 20,
        msg: 'request aborted',
        req: { id: 'req-1', method: 'GET', url: '/slow' },
      });
      expect(JSON.stringify(lines)).not.toContain('secret');
    } finally {
      server.close();
    }
  });

  it('adds no listener when no line of it can be written, or for an ignored path', async () => {
    const silent = await serve('silent', (res) => res.end('ok'));
    const quiet = await serve('debug', (res) => res.end('ok'));
    try {
      await fetch(`http://127.0.0.1:${silent.port}/any`).then((r) => r.text());
      await fetch(`http://127.0.0.1:${quiet.port}/quiet`).then((r) => r.text());
      await fetch(`http://127.0.0.1:${quiet.port}/loud`).then((r) => r.text());
      expect(silent.listeners).toEqual([0]);
      expect(quiet.listeners).toEqual([0, 1]);
      await until(() => quiet.lines.length === 1);
      expect(quiet.lines[0]).toMatchObject({ msg: 'request completed', req: { url: '/loud' } });
      expect(silent.lines).toEqual([]);
    } finally {
      silent.server.close();
      quiet.server.close();
    }
  });
});
