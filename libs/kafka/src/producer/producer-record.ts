import { EventEnvelope } from '@parley/common';

/** A record ready to send: kafkajs-free, so the envelope-to-bytes rule is written once. */
export interface OutgoingRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Record key rule: the unit of ordering, never null or empty. */
export function assertRecordKey(key: string, topic: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new Error(`refusing to publish to ${topic} without a record key`);
  }
}

export function toOutgoingRecord(
  topic: string,
  key: string,
  envelope: EventEnvelope,
): OutgoingRecord {
  assertRecordKey(key, topic);
  return {
    key,
    value: JSON.stringify(envelope),
    headers: {
      'event-type': envelope.type,
      'event-version': String(envelope.version),
      'event-id': envelope.id,
      ...(envelope.correlationId ? { 'correlation-id': envelope.correlationId } : {}),
    },
  };
}
