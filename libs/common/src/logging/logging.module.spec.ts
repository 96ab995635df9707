import { Controller, Get, INestApplication, Module, NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { storage } from 'nestjs-pino/storage';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { LoggingModule } from './logging.module';

@Controller()
class ProbeController {
  /** Whether this request runs inside nestjs-pino's AsyncLocalStorage (a request-bound logger). */
  @Get('probe')
  probe(): { bound: boolean } {
    return { bound: storage.getStore() !== undefined };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException();
  }
}

/** Boots a one-controller app with the given LoggingModule option and runs `probe` against it. */
async function withApp<T>(
  requestContext: boolean | undefined,
  probe: (url: string) => Promise<T>,
): Promise<T> {
  @Module({
    imports: [LoggingModule.forRoot({ service: 'probe', level: 'silent', requestContext })],
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

const boundInRequest = (requestContext: boolean | undefined) =>
  withApp(requestContext, async (url) => {
    const body = (await (await fetch(`${url}/probe`)).json()) as { bound: boolean };
    return body.bound;
  });

const errorRequestId = (requestContext: boolean | undefined, header?: string) =>
  withApp(requestContext, async (url) => {
    const response = await fetch(`${url}/missing`, {
      headers: header ? { 'x-request-id': header } : {},
    });
    const body = (await response.json()) as { error: { requestId?: string } };
    return body.error.requestId;
  });

describe('LoggingModule', () => {
  it('binds a request-scoped logger to each HTTP request by default', async () => {
    await expect(boundInRequest(undefined)).resolves.toBe(true);
  });

  it('with requestContext: false, runs requests outside any AsyncLocalStorage (no promise hook)', async () => {
    await expect(boundInRequest(false)).resolves.toBe(false);
  });

  it.each([undefined, false])(
    'names every error by its request id either way (requestContext %s)',
    async (requestContext) => {
      await expect(errorRequestId(requestContext, 'trace-42')).resolves.toBe('trace-42');
      await expect(errorRequestId(requestContext)).resolves.toMatch(/^[0-9a-f-]{36}$/);
      await expect(errorRequestId(requestContext, 'bad id!')).resolves.toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});
