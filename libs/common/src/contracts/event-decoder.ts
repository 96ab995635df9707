import { z } from 'zod/v4';
import { reportedIssues } from '@parley/protocol';
import { envelopeSchema, EventContract, EventEnvelope } from './envelope';

export type DecodeResult<E> = { ok: true; event: E } | { ok: false; reason: string };

/** Formats zod issues as `path: message; ...` without echoing values (they may be message text). */
export function describeIssues(error: z.ZodError): string {
  return reportedIssues(error.issues)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validates raw Kafka bytes against a set of contracts (the ones a topic may carry). Anything that
 * is not JSON, not an envelope, of an unknown type/version, or whose payload fails its schema is
 * rejected with a reason: the consumer dead-letters it and moves on.
 */
export class EventDecoder<C extends EventContract<string, unknown>> {
  private readonly byType = new Map<string, C>();

  constructor(contracts: readonly C[]) {
    for (const c of contracts) this.byType.set(`${c.type}@${c.version}`, c);
  }

  decode(raw: Buffer | null): DecodeResult<EventEnvelope<C['type'], z.output<C['payload']>>> {
    if (!raw || raw.length === 0) return { ok: false, reason: 'empty value' };
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return { ok: false, reason: 'value is not valid JSON' };
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      return { ok: false, reason: `invalid envelope: ${describeIssues(envelope.error)}` };
    }
    const { type, version } = envelope.data;
    const contract = this.byType.get(`${type}@${version}`);
    if (!contract) return { ok: false, reason: `unknown event type ${type} v${version}` };
    // Parsed as `C['payload']`, so the data is typed as that contract's output.
    const schema: C['payload'] = contract.payload;
    const payload = z.safeParse(schema, envelope.data.payload);
    if (!payload.success) {
      return { ok: false, reason: `invalid ${type} payload: ${describeIssues(payload.error)}` };
    }
    // Field by field: a literal that starts with a spread and adds keys is about a microsecond
    // slower to build in V8 (Node 20) than one that names its fields (docs/PERFORMANCE.md).
    const { id, time, producer, correlationId } = envelope.data;
    const event: EventEnvelope<C['type'], z.output<C['payload']>> = {
      type,
      version,
      id,
      time,
      producer,
      payload: payload.data,
    };
    if (correlationId !== undefined) event.correlationId = correlationId;
    return { ok: true, event };
  }
}
