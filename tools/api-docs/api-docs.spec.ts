import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type EventContract,
  TOPIC_CONTRACTS,
  TOPIC_SPECS,
  type TopicName,
} from '@parley/common/contracts';
import { buildAsyncApiDocument, buildOpenApiDocument } from '@parley/common/api-docs';
import {
  CLIENT_FRAME_TYPES,
  HTTP_ROUTES,
  PROTOCOL_VERSION,
  SERVER_FRAME_TYPES,
} from '@parley/protocol';
import { API_DOCS_DIR, renderApiDocs } from './generate';

const REGENERATE = 'run `npm run build && node dist/tools/api-docs/generate.js`';

type Json = Record<string, unknown>;

/** The object at `path` in `doc`; fails the test with the path when there is none. */
function at(doc: unknown, ...path: string[]): Json {
  let node = doc;
  for (const key of path) {
    const parent = isObject(node) ? node : {};
    if (!(key in parent)) throw new Error(`no ${path.join(' > ')} (missing ${key})`);
    node = parent[key];
  }
  if (!isObject(node)) throw new Error(`${path.join(' > ')} is not an object`);
  return node;
}

function contractsOf(topic: TopicName): readonly EventContract<string, unknown>[] {
  return TOPIC_CONTRACTS[topic];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `$ref` in `doc`, and every object that has a given key, walking the whole tree. */
function walk(doc: unknown, visit: (node: Json, path: string) => void, path = '#'): void {
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => walk(item, visit, `${path}/${i}`));
  } else if (isObject(doc)) {
    visit(doc, path);
    for (const [key, value] of Object.entries(doc)) walk(value, visit, `${path}/${key}`);
  }
}

function refsOf(doc: unknown): string[] {
  const refs: string[] = [];
  walk(doc, (node) => {
    if (typeof node.$ref === 'string') refs.push(node.$ref);
  });
  return refs;
}

/** Resolves a local JSON pointer (`#/a/b~1c`), or undefined. */
function resolvePointer(doc: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  let node = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** What both documents must satisfy: local `$ref`s resolve, every component is used. */
function expectWellFormedSchemas(doc: Json): void {
  const refs = refsOf(doc);
  const unresolved = refs.filter((ref) => resolvePointer(doc, ref) === undefined);
  expect(unresolved).toEqual([]);
  const components = Object.keys(at(doc, 'components', 'schemas'));
  const unused = components.filter((name) => !refs.includes(`#/components/schemas/${name}`));
  expect(unused).toEqual([]);
  // JSON Schema 2019-09+ (OpenAPI 3.1) and draft-07 (AsyncAPI) both want a number here: a
  // boolean is draft-04 (what some generators write for their 2019-09 targets).
  const problems: string[] = [];
  walk(doc, (node, path) => {
    for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
      if (key in node && typeof node[key] !== 'number') problems.push(`${path}/${key}`);
    }
    if ('$schema' in node) problems.push(`${path}/$schema`);
    // A `$ref` alone says what `allOf: [{ $ref }]` says (draft-07's way to put keywords beside it).
    if (Array.isArray(node.allOf) && node.allOf.length === 1 && Object.keys(node).length === 1) {
      problems.push(`${path}/allOf`);
    }
  });
  expect(problems).toEqual([]);
}

describe('docs/api (generated from the schemas)', () => {
  it.each(Object.entries(renderApiDocs()))('%s is up to date', (name, expected) => {
    const path = join(API_DOCS_DIR, name);
    const committed = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (committed === undefined) throw new Error(`docs/api/${name} is missing: ${REGENERATE}`);
    if (committed !== expected) {
      const ours = expected.split('\n');
      const line = committed.split('\n').findIndex((text, i) => text !== ours[i]) + 1;
      throw new Error(`docs/api/${name} differs from the schemas (line ${line}): ${REGENERATE}`);
    }
  });

  it('builds the same documents every time', () => {
    expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(buildOpenApiDocument()));
    expect(JSON.stringify(buildAsyncApiDocument())).toBe(JSON.stringify(buildAsyncApiDocument()));
  });
});

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument();
  const paths = at(doc, 'paths');

  it('is OpenAPI 3.1 with the protocol version', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(at(doc, 'info')).toMatchObject({
      title: 'Parley client API',
      version: String(PROTOCOL_VERSION),
    });
    expect(at(doc, 'components', 'securitySchemes', 'bearerAuth')).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('has exactly the operations of HTTP_ROUTES', () => {
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(isObject(item) ? item : {}).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(HTTP_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: statuses, security, parameters and body',
    (_name, route) => {
      const op = at(paths, route.path, route.method.toLowerCase());
      expect(op.summary).toBe(route.summary);

      const responses = at(op, 'responses');
      expect(Object.keys(responses).sort()).toEqual(Object.keys(route.answers).sort());
      for (const [status, answer] of Object.entries(route.answers)) {
        const response = at(responses, status);
        expect(response.description).toBe(answer.description);
        expect('content' in response).toBe(answer.schema !== undefined);
      }

      if (route.auth) expect(op.security).toEqual([{ bearerAuth: [] }]);
      else expect(op.security).toBeUndefined();

      const parameters = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
      const inPath = parameters.filter((p) => p.in === 'path').map((p) => p.name);
      const placeholders = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(inPath).toEqual(placeholders);
      const inQuery = parameters.filter((p) => p.in === 'query').map((p) => p.name);
      expect(inQuery.length > 0).toBe(route.query !== undefined);

      expect('requestBody' in op).toBe(route.body !== undefined);
    },
  );

  it('gives every operation a unique operationId', () => {
    const ids = Object.values(paths).flatMap((item) =>
      Object.values(isObject(item) ? item : {}).map((op) => (isObject(op) ? op.operationId : '')),
    );
    expect(new Set(ids).size).toBe(HTTP_ROUTES.length);
  });

  it('names the shared schemas and resolves every $ref', () => {
    const schemas = at(doc, 'components', 'schemas');
    expect(schemas).toHaveProperty('ErrorBody');
    expect(schemas).toHaveProperty('DeliveredMessage');
    expectWellFormedSchemas(doc);
  });

  it('documents a coerced query field by what it takes and what it must then be', () => {
    const history = at(paths, '/v1/conversations/{id}/messages', 'get');
    const parameters = Array.isArray(history.parameters) ? history.parameters.filter(isObject) : [];
    expect(parameters.find((p) => p.name === 'beforeSeq')).toMatchObject({
      in: 'query',
      required: false,
      schema: { allOf: [{ type: 'number' }, { $ref: '#/components/schemas/Seq' }] },
    });
  });

  it('documents strict bodies as closed and answers as open to new fields', () => {
    expect(at(doc, 'components', 'schemas', 'RegisterBody').additionalProperties).toBe(false);
    expect('additionalProperties' in at(doc, 'components', 'schemas', 'UserView')).toBe(false);
  });
});

describe('buildAsyncApiDocument', () => {
  const doc = buildAsyncApiDocument();
  const channels = at(doc, 'channels');
  const operations = at(doc, 'operations');

  it('is AsyncAPI 3.0 with the protocol version', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(at(doc, 'info').version).toBe(String(PROTOCOL_VERSION));
  });

  it('describes the WebSocket: /ws with a ticket, every frame type in both directions', () => {
    const ws = at(channels, 'ws');
    expect(ws.address).toBe('/ws');
    expect(at(ws, 'bindings', 'ws', 'query')).toMatchObject({
      properties: { ticket: { type: 'string' } },
      required: ['ticket'],
    });
    const messages = at(ws, 'messages');
    expect(Object.keys(messages).sort()).toEqual(
      [
        ...CLIENT_FRAME_TYPES.map((t) => `client.${t}`),
        ...SERVER_FRAME_TYPES.map((t) => `server.${t}`),
      ].sort(),
    );
    for (const [id, message] of Object.entries(messages)) {
      const type = id.replace(/^(client|server)\./, '');
      const payload = resolvePointer(doc, String(at(message, 'payload').$ref));
      expect(at(payload, 'properties', 'type')).toEqual({ type: 'string', const: type });
    }
    expect(at(operations, 'sendClientFrame')).toMatchObject({ action: 'send' });
    expect(at(operations, 'receiveServerFrame')).toMatchObject({ action: 'receive' });
  });

  it.each(TOPIC_SPECS.map((spec) => [spec.name, spec] as const))(
    'describes topic %s with its partitions and every event it carries',
    (name, spec) => {
      const channel = at(channels, name);
      expect(channel.address).toBe(name);
      expect(at(channel, 'bindings', 'kafka')).toMatchObject({
        topic: name,
        partitions: spec.partitions,
      });
      const messages = at(channel, 'messages');
      const carried = contractsOf(spec.name).map((c) => `${c.type}.v${c.version}`);
      expect(Object.keys(messages)).toEqual(carried);
      for (const contract of contractsOf(spec.name)) {
        const payload = at(messages, `${contract.type}.v${contract.version}`, 'payload');
        expect(at(payload, 'properties', 'type')).toEqual({
          type: 'string',
          const: contract.type,
        });
        expect(at(payload, 'properties', 'version').const).toBe(contract.version);
        expect(at(payload, 'properties', 'payload').type).toBe('object');
      }
      expect(at(operations, `produce.${name}`).action).toBe('send');
      if (spec.consumerGroups.length > 0) {
        expect(at(operations, `consume.${name}`, 'bindings', 'kafka', 'groupId').enum).toEqual(
          spec.consumerGroups,
        );
      }
    },
  );

  it('has no channel beyond /ws and the topics', () => {
    expect(Object.keys(channels).sort()).toEqual(['ws', ...TOPIC_SPECS.map((s) => s.name)].sort());
  });

  it('keys each keyed topic by a payload field of every event it carries (or says how else)', () => {
    for (const spec of TOPIC_SPECS) {
      const messages = at(channels, spec.name, 'messages');
      for (const id of Object.keys(messages)) {
        const key = at(messages, id, 'bindings', 'kafka', 'key');
        const fields = at(messages, id, 'payload', 'properties', 'payload', 'properties');
        const own = spec.keyByEvent?.[String(at(messages, id).name)];
        if (own !== undefined) expect(key.description).toBe(own);
        else if (spec.key in fields) expect(key.description).toBe(`The payload's ${spec.key}.`);
        else expect(spec.name).toBe('parley.dead-letter.v1');
      }
    }
  });

  it("documents a gateway's public URL as a URI", () => {
    const heartbeat = at(
      channels,
      'parley.gateway.heartbeats.v1',
      'messages',
      'gateway.heartbeat.v1',
      'payload',
      'properties',
      'payload',
      'properties',
      'publicUrl',
    );
    expect(heartbeat).toMatchObject({ type: 'string', format: 'uri', maxLength: 512 });
  });

  it('resolves every $ref (channels, messages, operations, schemas)', () => {
    expectWellFormedSchemas(doc);
  });
});
