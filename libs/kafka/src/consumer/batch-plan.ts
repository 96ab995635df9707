import { EventEnvelope } from '@parley/common';
import { RawRecord } from './dead-letter.record';

export interface DecodedRecord<E> {
  record: RawRecord;
  event: E;
}
export interface RejectedRecord {
  record: RawRecord;
  reason: string;
}

/** Splits a partition batch into handler calls of at most `size` records, keeping offset order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error('chunk size must be a positive integer');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Decodes every record: valid envelopes (in offset order) and rejected records with reasons. */
export function decodeRecords<E extends EventEnvelope>(
  records: readonly RawRecord[],
  decode: (raw: Buffer | null) => { ok: true; event: E } | { ok: false; reason: string },
): { valid: DecodedRecord<E>[]; invalid: RejectedRecord[] } {
  const valid: DecodedRecord<E>[] = [];
  const invalid: RejectedRecord[] = [];
  for (const record of records) {
    const result = decode(record.value);
    if (result.ok) valid.push({ record, event: result.event });
    else invalid.push({ record, reason: result.reason });
  }
  return { valid, invalid };
}

/**
 * Separates the events a handler named as poison from the rest. An id list that names none of the
 * batch's events condemns the whole batch (the handler said "poison" without saying which).
 */
export function splitPoisoned<E extends { id: string }>(
  items: readonly DecodedRecord<E>[],
  eventIds: readonly string[],
): { poisoned: DecodedRecord<E>[]; rest: DecodedRecord<E>[] } {
  const ids = new Set(eventIds);
  const poisoned = items.filter((i) => ids.has(i.event.id));
  if (poisoned.length === 0) return { poisoned: [...items], rest: [] };
  return { poisoned, rest: items.filter((i) => !ids.has(i.event.id)) };
}

/** The offset to commit after `offset` was processed (Kafka commits the next one to read). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
