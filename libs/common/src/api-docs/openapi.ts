import * as protocol from '@parley/protocol';
import { HTTP_ROUTES, type HttpRoute, MAX_BODY_BYTES, PROTOCOL_VERSION } from '@parley/protocol';
import { z } from 'zod/v4';
import { type JsonObject, SchemaComponents } from './schema-components';

const JSON_MEDIA_TYPE = 'application/json';
const BEARER_AUTH = 'bearerAuth';

/**
 * The gateway's client HTTP API as an OpenAPI 3.1 document, generated from `HTTP_ROUTES` (paths,
 * parameters, bodies, one response per status) and the protocol's zod schemas. Shared schemas
 * are components named after their export (`userViewSchema` -> `UserView`). Deterministic: paths
 * in HTTP_ROUTES' order, components sorted. `docs/api/openapi.json` is this, committed; the
 * gateway serves it at `GET /v1/openapi.json`.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const schemas = new SchemaComponents('#/components/schemas/', [protocol]);
  const paths: Record<string, JsonObject> = {};
  for (const route of HTTP_ROUTES) {
    const item = (paths[route.path] ??= {});
    const method = route.method.toLowerCase();
    if (method in item) throw new Error(`${route.method} ${route.path} is listed twice`);
    item[method] = operation(route, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley client API',
      version: String(PROTOCOL_VERSION),
      description:
        "The gateway's HTTP API: accounts, the directory (where to open the WebSocket) and " +
        'reads. Generated from libs/protocol (HTTP_ROUTES); docs/PROTOCOL.md explains it, and ' +
        `docs/api/asyncapi.json describes the WebSocket. Bodies are JSON, at most ${MAX_BODY_BYTES} ` +
        'bytes. Every error answers an ErrorBody with a stable `code`. A request may carry ' +
        '`X-Request-Id` (1-128 of `A-Z a-z 0-9 _ . -`), echoed in error bodies as `requestId`.',
    },
    paths,
    components: {
      schemas: schemas.components(),
      securitySchemes: {
        [BEARER_AUTH]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The `accessToken` of POST /v1/auth/login or /v1/auth/refresh.',
        },
      },
    },
  };
}

function operation(route: HttpRoute, schemas: SchemaComponents): JsonObject {
  const query = route.query ? fields(route, route.query, 'query') : [];
  const parameters = [
    ...pathParameters(route, schemas),
    ...query.map(({ name, schema, required }) => ({
      name,
      in: 'query',
      required,
      schema: schemas.ref(schema),
    })),
  ];
  const responses: Record<string, JsonObject> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.schema
        ? { content: { [JSON_MEDIA_TYPE]: { schema: schemas.ref(answer.schema) } } }
        : {}),
    };
  }
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.auth ? { security: [{ [BEARER_AUTH]: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { [JSON_MEDIA_TYPE]: { schema: schemas.ref(route.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** `{param}` placeholders, in path order: exactly the fields of the route's params schema. */
function pathParameters(route: HttpRoute, schemas: SchemaComponents): JsonObject[] {
  const placeholders = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const params = new Map(
    (route.params ? fields(route, route.params, 'params') : []).map((f) => [f.name, f]),
  );
  const listed = (names: Iterable<string>): string => [...names].sort().join(', ');
  if (listed(placeholders) !== listed(params.keys())) {
    fail(
      route,
      `placeholders {${listed(placeholders)}} but params fields {${listed(params.keys())}}`,
    );
  }
  return placeholders.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: schemas.ref(params.get(name)?.schema ?? fail(route, `no param ${name}`)),
  }));
}

interface Field {
  name: string;
  schema: z.core.$ZodType;
  required: boolean;
}

/** The fields of a params or query object schema (optional ones unwrapped). */
function fields(route: HttpRoute, schema: z.ZodType, what: string): Field[] {
  if (!(schema instanceof z.ZodObject)) {
    return fail(route, `the ${what} schema must be a z.object to be documented`);
  }
  const shape: Readonly<Record<string, z.core.$ZodType>> = schema.shape;
  return Object.entries(shape).map(([name, field]) => ({
    name,
    schema: field instanceof z.ZodOptional ? field.unwrap() : field,
    required: !z.safeParse(field, undefined).success,
  }));
}

/** `GET /v1/conversations/{id}/messages` -> `getV1ConversationsIdMessages`. */
function operationId(route: HttpRoute): string {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  return (
    route.method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
  );
}

function fail(route: HttpRoute, problem: string): never {
  throw new Error(`HTTP_ROUTES ${route.method} ${route.path}: ${problem}`);
}
