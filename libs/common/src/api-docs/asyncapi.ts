import * as protocol from '@parley/protocol';
import {
  CLIENT_FRAME_SCHEMAS,
  CloseCode,
  connectAnswerSchema,
  DEFAULT_MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  SERVER_FRAME_SCHEMAS,
} from '@parley/protocol';
import { z } from 'zod/v4';
import * as contracts from '../contracts';
import { envelopeSchema, type EventContract } from '../contracts/envelope';
import { TOPIC_CONTRACTS } from '../contracts/topic-contracts';
import { TOPIC_SPECS, type TopicSpec } from '../contracts/topics';
import { type JsonObject, SchemaComponents } from './schema-components';

const JSON_MEDIA_TYPE = 'application/json';
const WS_CHANNEL = 'ws';
const WS_PATH = '/ws';
const KAFKA_BINDING_VERSION = '0.5.0';
const WS_BINDING_VERSION = '0.1.0';

/** The ticket query parameter's schema: the `ticket` of `POST /v1/connect`'s answer. */
const ticketSchema = connectAnswerSchema.shape.ticket;

/**
 * Parley's asynchronous interfaces as one AsyncAPI 3.0 document, generated from the schemas:
 *
 * - the gateway's WebSocket (`/ws?ticket=`): one message per client frame type
 *   (CLIENT_FRAME_SCHEMAS, which clients send) and per server frame type (SERVER_FRAME_SCHEMAS,
 *   which clients receive). Its operations are written from a client's side.
 * - Kafka: one channel per topic of TOPIC_SPECS (partitions, key, retention), one message per
 *   event contract it carries (TOPIC_CONTRACTS): the envelope with that contract's payload. Its
 *   operations are written from the services' side: the producers send, each consumer group
 *   receives.
 *
 * Deterministic: channels, messages and operations in their lists' order, components sorted.
 * `docs/api/asyncapi.json` is this, committed.
 */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const schemas = new SchemaComponents('#/components/schemas/', [protocol, contracts]);
  const channels: Record<string, JsonObject> = {};
  const operations: Record<string, JsonObject> = {};

  const clientMessages = frameMessages('client', CLIENT_FRAME_SCHEMAS, schemas);
  const serverMessages = frameMessages('server', SERVER_FRAME_SCHEMAS, schemas);
  channels[WS_CHANNEL] = {
    address: WS_PATH,
    title: 'Gateway WebSocket',
    description:
      'One JSON object per text message, with a `type`. Open it on the gateway (and with the ' +
      'single-use ticket) that `POST /v1/connect` answers; the first server frame is `hello`. ' +
      `A frame over ${DEFAULT_MAX_FRAME_BYTES} bytes (the default limit) closes the socket. ` +
      `Close codes: ${Object.entries(CloseCode)
        .map(([name, code]) => `${code} ${name}`)
        .join(', ')}.`,
    servers: [{ $ref: '#/servers/gateway' }],
    messages: { ...clientMessages, ...serverMessages },
    bindings: {
      ws: {
        method: 'GET',
        query: {
          type: 'object',
          properties: {
            ticket: {
              ...schemas.inline(ticketSchema),
              description: 'The single-use `ticket` of POST /v1/connect (valid for seconds).',
            },
          },
          required: ['ticket'],
        },
        bindingVersion: WS_BINDING_VERSION,
      },
    },
    'x-close-codes': { ...CloseCode },
  };
  operations.sendClientFrame = {
    action: 'send',
    channel: { $ref: `#/channels/${WS_CHANNEL}` },
    summary: 'A client sends a frame to its gateway.',
    messages: messageRefs(WS_CHANNEL, clientMessages),
  };
  operations.receiveServerFrame = {
    action: 'receive',
    channel: { $ref: `#/channels/${WS_CHANNEL}` },
    summary: 'A client receives a frame from its gateway.',
    messages: messageRefs(WS_CHANNEL, serverMessages),
  };

  for (const spec of TOPIC_SPECS) {
    const messages = topicMessages(spec, schemas);
    channels[spec.name] = topicChannel(spec, messages);
    operations[`produce.${spec.name}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${jsonPointerToken(spec.name)}` },
      summary: `Produced by: ${spec.producers.join(', ')}.`,
      messages: messageRefs(spec.name, messages),
    };
    if (spec.consumerGroups.length > 0) {
      operations[`consume.${spec.name}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${jsonPointerToken(spec.name)}` },
        summary: `Consumed by the groups: ${spec.consumerGroups.join(', ')}.`,
        messages: messageRefs(spec.name, messages),
        bindings: {
          kafka: {
            groupId: { type: 'string', enum: [...spec.consumerGroups] },
            bindingVersion: KAFKA_BINDING_VERSION,
          },
        },
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley realtime and event API',
      version: String(PROTOCOL_VERSION),
      description:
        "The gateway's WebSocket (the client protocol, version " +
        `${PROTOCOL_VERSION}) and the Kafka topics between Parley's services. Generated from ` +
        'libs/protocol (frames) and libs/common/src/contracts (topics, envelope, events); ' +
        'docs/PROTOCOL.md and docs/ARCHITECTURE.md explain them. WebSocket operations are written ' +
        "from a client's side, Kafka operations from the services' side.",
    },
    defaultContentType: JSON_MEDIA_TYPE,
    servers: {
      gateway: {
        host: '{gateway}',
        protocol: 'ws',
        description:
          'A gateway, as the `url` of POST /v1/connect names it (ws:// or wss:// behind TLS).',
        variables: { gateway: { description: 'host:port', examples: ['127.0.0.1:3001'] } },
        security: [{ $ref: '#/components/securitySchemes/ticket' }],
      },
      kafka: {
        host: '{brokers}',
        protocol: 'kafka',
        description: "Parley's Kafka cluster: internal, services only.",
        variables: { brokers: { description: 'KAFKA_BROKERS', examples: ['127.0.0.1:9092'] } },
      },
    },
    channels,
    operations,
    components: {
      schemas: schemas.components(),
      securitySchemes: {
        ticket: {
          type: 'httpApiKey',
          name: 'ticket',
          in: 'query',
          description: 'The single-use connect ticket of POST /v1/connect.',
        },
      },
    },
  };
}

/** `client.send`, `server.hello`, ...: one message per frame type, its payload the frame schema. */
function frameMessages(
  side: 'client' | 'server',
  frames: Readonly<Record<string, z.ZodType>>,
  schemas: SchemaComponents,
): Record<string, JsonObject> {
  const direction = side === 'client' ? 'client -> server' : 'server -> client';
  const messages: Record<string, JsonObject> = {};
  for (const [type, schema] of Object.entries(frames)) {
    messages[`${side}.${type}`] = {
      name: type,
      title: `${type} (${direction})`,
      contentType: JSON_MEDIA_TYPE,
      payload: schemas.ref(schema),
    };
  }
  return messages;
}

function topicChannel(spec: TopicSpec, messages: Record<string, JsonObject>): JsonObject {
  return {
    address: spec.name,
    title: spec.name,
    description:
      `${spec.meaning} Key: ${spec.key} (the unit of ordering). ` +
      `Partitions: ${spec.partitions}. Producers: ${spec.producers.join(', ')}. ` +
      `Consumer groups: ${spec.consumerGroups.length > 0 ? spec.consumerGroups.join(', ') : 'none'}.`,
    servers: [{ $ref: '#/servers/kafka' }],
    messages,
    bindings: {
      kafka: {
        topic: spec.name,
        partitions: spec.partitions,
        ...(spec.retentionMs !== undefined
          ? { topicConfiguration: { 'retention.ms': spec.retentionMs } }
          : {}),
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
    'x-producers': [...spec.producers],
    'x-consumer-groups': [...spec.consumerGroups],
  };
}

/** `account.registered.v1`, ...: one message per contract the topic carries. */
function topicMessages(spec: TopicSpec, schemas: SchemaComponents): Record<string, JsonObject> {
  const carried: readonly EventContract<string, unknown>[] = TOPIC_CONTRACTS[spec.name];
  const messages: Record<string, JsonObject> = {};
  for (const contract of carried) {
    const id = `${contract.type}.v${contract.version}`;
    if (id in messages) throw new Error(`${spec.name} carries ${id} twice`);
    messages[id] = {
      name: contract.type,
      title: `${contract.type} v${contract.version}`,
      summary: `The envelope of a ${contract.type} v${contract.version} event.`,
      contentType: JSON_MEDIA_TYPE,
      payload: schemas.ref(
        envelopeSchema.extend({
          type: z.literal(contract.type),
          version: z.literal(contract.version),
          payload: contract.payload,
        }),
      ),
      bindings: {
        kafka: { key: keySchema(spec, contract, schemas), bindingVersion: KAFKA_BINDING_VERSION },
      },
    };
  }
  return messages;
}

/**
 * The record key: as TOPIC_SPECS says for an event keyed otherwise (`keyByEvent`), else the
 * payload's field of that name when there is one, else as TOPIC_SPECS says.
 */
function keySchema(
  spec: TopicSpec,
  contract: EventContract<string, unknown>,
  schemas: SchemaComponents,
): JsonObject {
  const own = spec.keyByEvent?.[contract.type];
  if (own !== undefined) return { type: 'string', description: own };
  const payload: unknown = contract.payload;
  const field: unknown = payload instanceof z.ZodObject ? payload.shape[spec.key] : undefined;
  if (field instanceof z.ZodType) {
    return { ...schemas.inline(field), description: `The payload's ${spec.key}.` };
  }
  return { type: 'string', description: spec.key };
}

function messageRefs(channel: string, messages: Record<string, JsonObject>): JsonObject[] {
  return Object.keys(messages).map((id) => ({
    $ref: `#/channels/${jsonPointerToken(channel)}/messages/${jsonPointerToken(id)}`,
  }));
}

/** RFC 6901: `~` and `/` are escaped in a JSON pointer's tokens. */
function jsonPointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
