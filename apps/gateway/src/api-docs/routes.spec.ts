import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, type INestApplication, Post, Put, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Test } from '@nestjs/testing';
import { HealthController } from '@parley/common';
import { buildOpenApiDocument } from '@parley/common/api-docs';
import { HTTP_ROUTES } from '@parley/protocol';
import { ApiDocsModule } from './api-docs.module';

/**
 * HTTP_ROUTES (and so the OpenAPI document) must list exactly the routes the gateway serves: each
 * route of every controller under apps/gateway/src (those of every `*.controller.ts`, and any a
 * `*.module.ts` registers) plus the shared HealthController, read from Nest's own decorator
 * metadata.
 */
const SRC = join(__dirname, '..');

/**
 * Internal, not part of the client API (docs/PROTOCOL.md, "Service endpoints"): Prometheus and
 * the memory reading after a collection.
 */
const INTERNAL_ROUTES = new Set(['GET /metrics', 'POST /metrics/memory']);

type Class = abstract new (...args: never[]) => unknown;

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function exportedClasses(module: Record<string, unknown>): Class[] {
  return Object.values(module).filter((value): value is Class => typeof value === 'function');
}

function isController(value: Class): boolean {
  return Reflect.getMetadata(PATH_METADATA, value) !== undefined;
}

/** Nest path metadata: a path or a list of them. */
function asList(value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.filter((path): path is string => typeof path === 'string');
}

/** `GET /v1/conversations/{id}/messages`: Nest's `:id` written as OpenAPI's `{id}`. */
function routeKey(method: RequestMethod, ...parts: string[]): string {
  const segments = parts
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment.length > 0)
    .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment));
  return `${RequestMethod[method]} /${segments.join('/')}`;
}

/** Every (method, path) a controller class serves, as Nest's router would mount it. */
function routesOf(controller: Class): string[] {
  const routes: string[] = [];
  const bases = asList(Reflect.getMetadata(PATH_METADATA, controller));
  const seen = new Set<string>();
  for (
    let proto: unknown = controller.prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      const handler: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      for (const base of bases) {
        for (const path of asList(Reflect.getMetadata(PATH_METADATA, handler))) {
          routes.push(routeKey(method, base, path));
        }
      }
    }
  }
  return routes;
}

const documentedRoutes = (): string[] => HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort();

/** The routes `controllers` serve that HTTP_ROUTES lacks, and those it lists that none serves. */
function drift(controllers: readonly Class[]): { undocumented: string[]; unserved: string[] } {
  const served = new Set(
    controllers.flatMap(routesOf).filter((route) => !INTERNAL_ROUTES.has(route)),
  );
  const documented = new Set(documentedRoutes());
  return {
    undocumented: [...served].filter((route) => !documented.has(route)).sort(),
    unserved: [...documented].filter((route) => !served.has(route)).sort(),
  };
}

describe('gateway routes = HTTP_ROUTES', () => {
  let controllers: Class[];

  beforeAll(async () => {
    const found = new Set<Class>([HealthController]);
    for (const file of filesUnder(SRC, '.controller.ts')) {
      const classes = exportedClasses((await import(file)) as Record<string, unknown>);
      const inFile = classes.filter(isController);
      if (inFile.length === 0) throw new Error(`${relative(SRC, file)} exports no controller`);
      for (const controller of inFile) found.add(controller);
    }
    // And whatever a feature module registers, wherever that class is declared.
    for (const file of filesUnder(SRC, '.module.ts')) {
      for (const moduleClass of exportedClasses((await import(file)) as Record<string, unknown>)) {
        const listed: unknown = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass);
        if (Array.isArray(listed)) for (const c of listed as Class[]) found.add(c);
      }
    }
    controllers = [...found];
  });

  it('finds the controllers', () => {
    expect(controllers.length).toBeGreaterThanOrEqual(9);
    expect(controllers.map((c) => c.name)).toEqual(
      expect.arrayContaining(['AuthController', 'ApiDocsController', 'HealthController']),
    );
  });

  it('serves exactly the routes HTTP_ROUTES lists (the internal /metrics routes aside)', () => {
    expect(drift(controllers)).toEqual({ undocumented: [], unserved: [] });
  });

  it('lists each route of HTTP_ROUTES once', () => {
    const routes = documentedRoutes();
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('notices a route a controller adds that HTTP_ROUTES lacks', () => {
    @Controller('v1/conversations')
    class ExtraController {
      @Post(':id/archive')
      archive(): void {}

      @Put()
      replace(): void {}
    }
    expect(drift([...controllers, ExtraController]).undocumented).toEqual(
      expect.arrayContaining(['POST /v1/conversations/{id}/archive', 'PUT /v1/conversations']),
    );
    const withoutAuth = controllers.filter((c) => c.name !== 'AuthController');
    expect(drift(withoutAuth).unserved).toContain('POST /v1/auth/login');
  });
});

describe('GET /v1/openapi.json', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ApiDocsModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers the generated OpenAPI document without a token', async () => {
    const server = app.getHttpServer() as Server;
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(buildOpenApiDocument());
  });
});
