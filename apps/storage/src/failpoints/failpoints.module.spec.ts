import 'reflect-metadata';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { Test } from '@nestjs/testing';
import { AllExceptionsFilter, AppConfigModule, REDIS } from '@parley/common';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAppModule } from '../app.module';
import { loadStorageConfig } from '../config/storage.config';
import { MessagePersistService } from '../messages/message-persist.service';
import { MessagesModule } from '../messages/messages.module';
import { GroupChangesRepository } from '../groups/group-changes.repository';
import { MessagesRepository } from '../messages/messages.repository';
import { FailpointsModule } from './failpoints.module';
import { FailpointsService, KILL_PROCESS } from './failpoints.service';

/** Stands in for RedisModule's global connection (nothing is fanned out here). */
@Global()
@Module({ providers: [{ provide: REDIS, useValue: {} }], exports: [REDIS] })
class NoRedisModule {}

async function startStorage(armable: boolean, kill: () => void): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppConfigModule.forRoot({}),
      NoRedisModule,
      FailpointsModule.forRoot({ armable }),
      MessagesModule,
    ],
  })
    .overrideProvider(KILL_PROCESS)
    .useValue(kill)
    .overrideProvider(MessagesRepository)
    .useValue({})
    .overrideProvider(GroupChangesRepository)
    .useValue({})
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new AllExceptionsFilter());
  await app.listen(0, '127.0.0.1');
  return app;
}

function arm(app: INestApplication, name: string, headers: Record<string, string> = {}) {
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return fetch(`http://127.0.0.1:${port}/internal/failpoints/${name}`, { method: 'POST', headers });
}

describe('FailpointsModule', () => {
  describe('under NODE_ENV=test (armable)', () => {
    const kill = jest.fn();
    let app: INestApplication;
    beforeAll(async () => {
      app = await startStorage(true, kill);
    });
    afterAll(() => app.close());
    beforeEach(() => kill.mockClear());

    it('arms a known failpoint (204); the next hit kills, once', async () => {
      const res = await arm(app, 'storage.crash-after-commit');
      expect(res.status).toBe(204);
      expect(kill).not.toHaveBeenCalled();
      const failpoints = app.get(FailpointsService);
      failpoints.hit('storage.crash-after-commit');
      failpoints.hit('storage.crash-after-commit');
      expect(kill).toHaveBeenCalledTimes(1);
    });

    it('answers an unknown name with 404 in the error format', async () => {
      const res = await arm(app, 'storage.no-such-point');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: expect.objectContaining({ code: 'not_found', message: 'Unknown failpoint' }),
      });
    });

    it('refuses callers that are not internal (here: through a proxy) with 403', async () => {
      const res = await arm(app, 'storage.crash-after-commit', {
        'X-Forwarded-For': '203.0.113.9',
      });
      expect(res.status).toBe(403);
      app.get(FailpointsService).hit('storage.crash-after-commit');
      expect(kill).not.toHaveBeenCalled();
    });

    it('gives the persist step the same failpoints', () => {
      expect(app.get(MessagePersistService)).toBeInstanceOf(MessagePersistService);
    });
  });

  describe('outside tests', () => {
    it('has no route: 404 as for any unknown path, and nothing is armed', async () => {
      const kill = jest.fn();
      const app = await startStorage(false, kill);
      try {
        const res = await arm(app, 'storage.crash-after-commit');
        expect(res.status).toBe(404);
        app.get(FailpointsService).hit('storage.crash-after-commit');
        expect(kill).not.toHaveBeenCalled();
      } finally {
        await app.close();
      }
    });
  });

  it('is wired into the storage app, armable only when NODE_ENV=test', () => {
    const failpointsImport = (nodeEnv: string) => {
      const app = createAppModule(loadStorageConfig({ NODE_ENV: nodeEnv }));
      const imports = Reflect.getMetadata(MODULE_METADATA.IMPORTS, app) as unknown[];
      return imports.find(
        (i): i is DynamicModule =>
          typeof i === 'object' && i !== null && (i as DynamicModule).module === FailpointsModule,
      );
    };
    expect(failpointsImport('test')?.controllers).toHaveLength(1);
    expect(failpointsImport('development')?.controllers).toEqual([]);
    expect(failpointsImport('production')?.controllers).toEqual([]);
  });
});
