import { randomUUID } from 'node:crypto';
import { z } from 'zod/v4';
import { isoTimeSchema } from '@parley/protocol';

/**
 * Every Kafka event is an envelope around a typed payload. The envelope is the same for every
 * event; `type` names the event (e.g. `account.registered`) and `version` its contract's version,
 * so a breaking change adds a V2 contract beside V1 instead of mutating it.
 */
export const envelopeSchema = z
  .object({
    type: z.string().min(1).max(128),
    version: z.number().int().positive(),
    id: z.guid(),
    time: isoTimeSchema,
    producer: z.string().min(1).max(128),
    /** Correlates an event with the HTTP/WS request (or parent event) that caused it. */
    correlationId: z.string().min(1).max(128).optional(),
    payload: z.unknown(),
  })
  .strict();

export interface EventEnvelope<TType extends string = string, TPayload = unknown> {
  type: TType;
  version: number;
  id: string;
  time: string;
  producer: string;
  correlationId?: string;
  payload: TPayload;
}

/** One event's contract: its name, version and payload schema. Defined once, in libs/common. */
export interface EventContract<TType extends string, TPayload> {
  readonly type: TType;
  readonly version: number;
  readonly payload: z.ZodType<TPayload>;
}

export function defineEvent<TType extends string, TPayload>(
  type: TType,
  version: number,
  payload: z.ZodType<TPayload>,
): EventContract<TType, TPayload> {
  return Object.freeze({ type, version, payload });
}

export type PayloadOf<C> = C extends EventContract<string, infer P> ? P : never;
export type EnvelopeOf<C> = C extends EventContract<infer T, infer P> ? EventEnvelope<T, P> : never;

/**
 * Wraps a payload in a new envelope, checked against its contract (a ZodError if it does not
 * fit), unless `prevalidated`: a payload made only of values the producer validated already (see
 * `PublishOptions.prevalidated` in libs/kafka) goes as given. Consumers validate every event either
 * way.
 */
export function createEnvelope<TType extends string, TPayload>(
  contract: EventContract<TType, TPayload>,
  payload: TPayload,
  producer: string,
  correlationId?: string,
  prevalidated = false,
): EventEnvelope<TType, TPayload> {
  return {
    type: contract.type,
    version: contract.version,
    id: randomUUID(),
    time: new Date().toISOString(),
    producer,
    ...(correlationId ? { correlationId } : {}),
    payload: prevalidated ? payload : contract.payload.parse(payload),
  };
}
