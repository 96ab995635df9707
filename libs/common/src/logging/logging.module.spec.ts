import {
  Controller,
  Get,
  INestApplication,
  Logger as NestLogger,
  Module,
  NotFoundException,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import { Writable } from 'node:stream';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { LoggingModule, type LoggingOptions } from './logging.module';

@Controller()
class ProbeController {
  /**
   * Whether this request runs inside nestjs-pino's AsyncLocalStorage (a request-bound logger),
   * and what the request logger left on it.
   */
  @Get('probe')
  probe(@Req() req: Request & { id?: string | number }): Probe {
    return {
      bound: storage.getStore() !== undefined,
      id: req.id === undefined ? null : String(req.id),
    };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException();
  }

  @Get('broken')
  broken(): never {
    throw new Error('a bug');
  }

  @Get('health/live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Logs what must never reach a log, and answers with a cookie. */
  @Get('secrets')
  secrets(@Res() res: Response): void {
    new NestLogger('Probe').warn(
      { password: 'hunter2', token: 'tok-123', text: 'a private message', user: { ticket: 'tkt' } },
      'secrets probe',
    );
    res.setHeader('set-cookie', 'sid=cookie-456');
    res.status(400).json({});
  }
}

interface Probe {
  bound: boolean;
  id: string | null;
}

/**
 * Boots a one-controller app logging through a LoggingModule with these options (silent unless
 * they say otherwise; the app's own lines through it too) and runs `probe` against it.
 */
async function withApp<T>(
  options: Partial<Pick<LoggingOptions, 'requestLogs' | 'level' | 'destination'>>,
  probe: (url: string) => Promise<T>,
): Promise<T> {
  @Module({
    imports: [LoggingModule.forRoot({ service: 'probe', level: 'silent', ...options })],
    controllers: [ProbeController],
  })
  class ProbeModule {}
  const app: INestApplication = await NestFactory.create(ProbeModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new AllExceptionsFilter());
  try {
    await app.listen(0, '127.0.0.1');
    return await probe(await app.getUrl());
  } finally {
    await app.close();
  }
}

const probeRequest = (requestLogs: boolean | undefined, header?: string) =>
  withApp({ requestLogs }, async (url) => {
    const response = await fetch(`${url}/probe`, {
      headers: header ? { 'x-request-id': header } : {},
    });
    return (await response.json()) as Probe;
  });

const errorRequestId = (requestLogs: boolean | undefined, header?: string) =>
  withApp({ requestLogs }, async (url) => {
    const response = await fetch(`${url}/missing`, {
      headers: header ? { 'x-request-id': header } : {},
    });
    const body = (await response.json()) as { error: { requestId?: string } };
    return body.error.requestId;
  });

/** The JSON lines a LoggingModule app wrote while `run` talked to it. */
async function logLines(
  run: (url: string) => Promise<void>,
  level = 'info',
): Promise<Record<string, unknown>[]> {
  let written = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString('utf8');
      done();
    },
  });
  await withApp({ level, destination }, run);
  return written
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('LoggingModule', () => {
  it('masks credentials, tokens, tickets, cookies and message text in every line, and names the request', async () => {
    const lines = await logLines(async (url) => {
      await fetch(`${url}/secrets?ticket=tkt-q`, {
        headers: { 'x-request-id': 'trace-9', authorization: 'Bearer tok-h' },
      });
    });
    const all = JSON.stringify(lines);
    for (const secret of [
      'hunter2',
      'tok-123',
      'a private message',
      'tkt',
      'cookie-456',
      'tok-h',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'secrets probe',
        password: '[redacted]',
        token: '[redacted]',
        text: '[redacted]',
        user: { ticket: '[redacted]' },
      }),
    );
    const request = lines.find((l) => l.msg === 'request completed');
    expect(request).toMatchObject({
      service: 'probe',
      req: { id: 'trace-9', method: 'GET', url: '/secrets' },
      res: { statusCode: 400, headers: expect.objectContaining({ 'set-cookie': '[redacted]' }) },
    });
  });

  it('writes a request line at the level its status calls for, none for health checks', async () => {
    const requestLines = async (level: string) =>
      (
        await logLines(async (url) => {
          for (const path of ['probe', 'missing', 'broken', 'health/live']) {
            await (await fetch(`${url}/${path}`, { headers: { 'x-request-id': path } })).text();
          }
        }, level)
      ).filter((l) => typeof l.req === 'object');
    const summary = (lines: Record<string, unknown>[]) =>
      lines.map((l) => [(l.req as { id: string }).id, l.level, l.msg]);
    expect(summary(await requestLines('info'))).toEqual([
      ['missing', 30, 'request completed'],
      ['broken', 50, 'request errored'],
    ]);
    expect(summary(await requestLines('debug'))).toEqual([
      ['probe', 20, 'request completed'],
      ['missing', 30, 'request completed'],
      ['broken', 50, 'request errored'],
    ]);
    const [line] = await requestLines('debug');
    expect(line).toMatchObject({
      req: { id: 'probe', method: 'GET', url: '/probe' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
  });

  it('logs each HTTP request with its id by default, without binding it to an AsyncLocalStorage', async () => {
    await expect(probeRequest(undefined, 'trace-7')).resolves.toEqual({
      bound: false,
      id: 'trace-7',
    });
    const made = await probeRequest(undefined);
    expect(made.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('with requestLogs: false, runs no request middleware at all', async () => {
    await expect(probeRequest(false, 'trace-7')).resolves.toEqual({
      bound: false,
      id: null,
    });
  });

  it.each([undefined, false])(
    'names every error by its request id either way (requestLogs %s)',
    async (requestLogs) => {
      await expect(errorRequestId(requestLogs, 'trace-42')).resolves.toBe('trace-42');
      await expect(errorRequestId(requestLogs)).resolves.toMatch(/^[0-9a-f-]{36}$/);
      await expect(errorRequestId(requestLogs, 'bad id!')).resolves.toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});
