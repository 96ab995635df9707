import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveWebApp } from './web-app';

describe('serveWebApp', () => {
  let root: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'parley-web-'));
    mkdirSync(join(root, 'assets'));
    mkdirSync(join(root, 'v1'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    // A file where an API path points: it must never be served as if it were the API's answer.
    writeFileSync(join(root, 'v1', 'users'), 'not the API');
    const app = express();
    serveWebApp(app as unknown as NestExpressApplication, root);
    app.use((_req, res) => res.status(404).json({ code: 'NOT_FOUND' }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the build’s files with the security headers, hashed assets cached for good', async () => {
    const res = await fetch(`${base}/assets/app.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('console.log(1)');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('answers a page path with index.html', async () => {
    const res = await fetch(`${base}/chat/abc`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>app</title>');
  });

  it('leaves API paths to the API, even where a file of that name exists', async () => {
    for (const path of ['/v1/users', '/v1/nothing', '/metrics', '/health/ready']) {
      const res = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
      expect([path, res.status]).toEqual([path, 404]);
      expect(await res.json()).toEqual({ code: 'NOT_FOUND' });
    }
  });
});
