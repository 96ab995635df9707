import { DeadLetterV1 } from '@parley/common';
import { buildDeadLetter, deadLetterKey, headersToStrings, RawRecord } from './dead-letter.record';

const source = { topic: 'parley.account.events.v1', partition: 2, group: 'parley.presence' };

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    offset: '41',
    key: Buffer.from('user-1'),
    value: Buffer.from([0xff, 0x00, 0x7b]),
    headers: { 'event-type': 'account.logged-in' },
    ...overrides,
  };
}

describe('buildDeadLetter', () => {
  it('keeps the original bytes intact (base64), key, headers and source position', () => {
    const payload = buildDeadLetter(source, record(), 'value is not valid JSON');
    expect(payload).toEqual({
      sourceTopic: source.topic,
      sourcePartition: 2,
      sourceOffset: '41',
      consumerGroup: 'parley.presence',
      reason: 'value is not valid JSON',
      originalKey: 'user-1',
      originalValueBase64: Buffer.from([0xff, 0x00, 0x7b]).toString('base64'),
      originalHeaders: { 'event-type': 'account.logged-in' },
    });
    expect(Buffer.from(payload.originalValueBase64 as string, 'base64')).toEqual(
      Buffer.from([0xff, 0x00, 0x7b]),
    );
    expect(DeadLetterV1.payload.safeParse(payload).success).toBe(true);
  });

  it('turns the headers as consumed (Buffers) into strings, and none into none', () => {
    const consumed = record({
      headers: { 'event-type': Buffer.from('message.accepted'), 'trace-at': [Buffer.from('1')] },
    });
    expect(buildDeadLetter(source, consumed, 'r').originalHeaders).toEqual({
      'event-type': 'message.accepted',
      'trace-at': '1',
    });
    expect(buildDeadLetter(source, record({ headers: undefined }), 'r').originalHeaders).toEqual(
      {},
    );
  });

  it('carries null key and value as null', () => {
    const payload = buildDeadLetter(source, record({ key: null, value: null }), 'empty value');
    expect(payload.originalKey).toBeNull();
    expect(payload.originalValueBase64).toBeNull();
  });

  it('truncates reasons to what the contract accepts', () => {
    const payload = buildDeadLetter(source, record(), 'x'.repeat(5000));
    expect(payload.reason.length).toBe(2000);
    expect(DeadLetterV1.payload.safeParse(payload).success).toBe(true);
  });
});

describe('deadLetterKey', () => {
  it('is the original key, or "null" when there was none', () => {
    expect(deadLetterKey(record())).toBe('user-1');
    expect(deadLetterKey(record({ key: null }))).toBe('null');
    expect(deadLetterKey(record({ key: Buffer.alloc(0) }))).toBe('null');
  });
});

describe('headersToStrings', () => {
  it('turns buffers and arrays into strings and drops undefined', () => {
    expect(
      headersToStrings({ a: Buffer.from('x'), b: 'y', c: [Buffer.from('1'), '2'], d: undefined }),
    ).toEqual({ a: 'x', b: 'y', c: '1,2' });
  });
});
