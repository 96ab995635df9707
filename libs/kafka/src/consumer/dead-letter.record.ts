import { PayloadOf, DeadLetterV1 } from '@parley/common';

/** A record's headers as kafkajs hands them over: strings, Buffers or arrays of them. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/**
 * A consumed record as the transport sees it, without kafkajs types. Its headers stay as they
 * came: only a dead letter reads them (headersToStrings), so a record handled in the usual way
 * converts nothing.
 */
export interface RawRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders | undefined;
}

export interface DeadLetterSource {
  topic: string;
  partition: number;
  group: string;
}

export type DeadLetterPayload = PayloadOf<typeof DeadLetterV1>;

/** The DeadLetter record for this key: the original key, or the literal 'null' (never empty). */
export function deadLetterKey(record: RawRecord): string {
  const key = record.key?.toString('utf8');
  return key && key.length > 0 ? key : 'null';
}

const MAX_REASON = 2000;

/** The dead-letter payload: the reason plus the original record, bytes intact (base64). */
export function buildDeadLetter(
  source: DeadLetterSource,
  record: RawRecord,
  reason: string,
): DeadLetterPayload {
  return {
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: record.offset,
    consumerGroup: source.group,
    reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
    originalKey: record.key === null ? null : record.key.toString('utf8'),
    originalValueBase64: record.value === null ? null : record.value.toString('base64'),
    originalHeaders: headersToStrings(record.headers),
  };
}

/** kafkajs-style headers (string, Buffer or arrays of them) as plain strings. */
export function headersToStrings(headers: RecordHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    out[name] = values.map((v) => (typeof v === 'string' ? v : v.toString('utf8'))).join(',');
  }
  return out;
}
