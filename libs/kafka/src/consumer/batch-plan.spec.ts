import { AccountLoggedInV1, createEnvelope, EventDecoder, ACCOUNT_EVENTS } from '@parley/common';
import { randomUUID } from 'node:crypto';
import { chunk, decodeRecords, nextOffset, splitPoisoned } from './batch-plan';
import { RawRecord } from './dead-letter.record';

const decoder = new EventDecoder(ACCOUNT_EVENTS);
const decode = (raw: Buffer | null) => decoder.decode(raw);

function rec(offset: number, value: string | null): RawRecord {
  return {
    offset: String(offset),
    key: Buffer.from('k'),
    value: value === null ? null : Buffer.from(value),
    headers: {},
  };
}
function loggedIn(): string {
  return JSON.stringify(
    createEnvelope(
      AccountLoggedInV1,
      { userId: randomUUID(), at: new Date().toISOString() },
      'test',
    ),
  );
}

describe('chunk', () => {
  it('splits in order into pieces of at most n', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow();
  });
});

describe('decodeRecords', () => {
  it('keeps valid events in offset order and gives a reason for each invalid record', () => {
    const records = [
      rec(1, loggedIn()),
      rec(2, 'not json'),
      rec(3, null),
      rec(4, loggedIn()),
      rec(5, JSON.stringify({ ...JSON.parse(loggedIn()), type: 'account.exploded' })),
    ];
    const { valid, invalid } = decodeRecords(records, decode);
    expect(valid.map((v) => v.record.offset)).toEqual(['1', '4']);
    expect(invalid.map((i) => [i.record.offset, i.reason])).toEqual([
      ['2', 'value is not valid JSON'],
      ['3', 'empty value'],
      ['5', 'unknown event type account.exploded v1'],
    ]);
  });
});

describe('splitPoisoned', () => {
  const items = [1, 2, 3].map((n) => ({ record: rec(n, null), event: { id: `e${n}` } }));

  it('separates the named events from the rest', () => {
    const { poisoned, rest } = splitPoisoned(items, ['e2']);
    expect(poisoned.map((p) => p.event.id)).toEqual(['e2']);
    expect(rest.map((p) => p.event.id)).toEqual(['e1', 'e3']);
  });

  it('condemns the whole batch when no named id is in it', () => {
    const { poisoned, rest } = splitPoisoned(items, ['elsewhere']);
    expect(poisoned).toHaveLength(3);
    expect(rest).toHaveLength(0);
  });
});

describe('nextOffset', () => {
  it('adds one without losing precision on 64-bit offsets', () => {
    expect(nextOffset('41')).toBe('42');
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });
});
