import { Controller, Get, INestApplication, Module, NotFoundException, Req } from '@nestjs/common';
import type { Request } from 'express';
import { NestFactory } from '@nestjs/core';
import { storage } from 'nestjs-pino/storage';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { LoggingModule } from './logging.module';

@Controller()
class ProbeController {
  /**
   * Whether this request runs inside nestjs-pino's AsyncLocalStorage (a request-bound logger),
   * and what the request logger left on it.
   */
  @Get('probe')
  probe(@Req() req: Request & { id?: string | number; log?: unknown }): Probe {
    return {
      bound: storage.getStore() !== undefined,
      id: req.id === undefined ? null : String(req.id),
      logged: req.log !== undefined,
    };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException();
  }
}

interface Probe {
  bound: boolean;
  id: string | null;
  logged: boolean;
}

/** Boots a one-controller app with the given LoggingModule option and runs `probe` against it. */
async function withApp<T>(
  requestLogs: boolean | undefined,
  probe: (url: string) => Promise<T>,
): Promise<T> {
  @Module({
    imports: [LoggingModule.forRoot({ service: 'probe', level: 'silent', requestLogs })],
    controllers: [ProbeController],
  })
  class ProbeModule {}
  const app: INestApplication = await NestFactory.create(ProbeModule, { logger: false });
  app.useGlobalFilters(new AllExceptionsFilter());
  try {
    await app.listen(0, '127.0.0.1');
    return await probe(await app.getUrl());
  } finally {
    await app.close();
  }
}

const probeRequest = (requestLogs: boolean | undefined, header?: string) =>
  withApp(requestLogs, async (url) => {
    const response = await fetch(`${url}/probe`, {
      headers: header ? { 'x-request-id': header } : {},
    });
    return (await response.json()) as Probe;
  });

const errorRequestId = (requestLogs: boolean | undefined, header?: string) =>
  withApp(requestLogs, async (url) => {
    const response = await fetch(`${url}/missing`, {
      headers: header ? { 'x-request-id': header } : {},
    });
    const body = (await response.json()) as { error: { requestId?: string } };
    return body.error.requestId;
  });

describe('LoggingModule', () => {
  it('logs each HTTP request with its id by default, without binding it to an AsyncLocalStorage', async () => {
    await expect(probeRequest(undefined, 'trace-7')).resolves.toEqual({
      bound: false,
      id: 'trace-7',
      logged: true,
    });
    const made = await probeRequest(undefined);
    expect(made.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('with requestLogs: false, runs no request middleware at all', async () => {
    await expect(probeRequest(false, 'trace-7')).resolves.toEqual({
      bound: false,
      id: null,
      logged: false,
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
