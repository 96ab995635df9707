import { types } from 'pg';
import { arrayLiteral, parseStringArray, pgTypeParsers, toParam } from './pg-arrays';

/** pg's own conversion of a parameter (arrays through its `arrayString`). */
const { prepareValue } = jest.requireActual<{ prepareValue: (value: unknown) => unknown }>(
  'pg/lib/utils',
);

type TypeId = Parameters<typeof types.getTypeParser>[0];
const pgTypesStringArray = types.getTypeParser(1009 as TypeId, 'text') as (
  value: string,
) => unknown;

/** PostgreSQL's array_out for a one-dimensional text[]: which elements it quotes, and how. */
function arrayOut(values: readonly (string | null)[]): string {
  const quoted = values.map((v) => {
    if (v === null) return 'NULL';
    const needs = v === '' || v.toUpperCase() === 'NULL' || /[{}",\\\s]/.test(v);
    return needs ? `"${v.replace(/["\\]/g, '\\$&')}"` : v;
  });
  return `{${quoted.join(',')}}`;
}

/** A deterministic pseudo-random source, so a failure names its case. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = [
  'a',
  'Z',
  '0',
  '-',
  ' ',
  ',',
  '"',
  '\\',
  '{',
  '}',
  'é',
  '😀',
  '\t',
  'N',
  'U',
  'L',
];

function randomArray(random: () => number): (string | null)[] {
  const out: (string | null)[] = [];
  const n = Math.floor(random() * 6);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.1) out.push(null);
    else if (r < 0.15) out.push('NULL');
    else if (r < 0.2) out.push('');
    else if (r < 0.5) out.push('0b4a3c1e-5f6d-4e7a-8b9c-0d1e2f3a4b5c');
    else {
      let s = '';
      const len = 1 + Math.floor(random() * 8);
      for (let j = 0; j < len; j++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
      out.push(s);
    }
  }
  return out;
}

describe('parseStringArray', () => {
  it("reads unquoted arrays with one split, as pg-types' parser does", () => {
    expect(parseStringArray('{}')).toEqual([]);
    expect(parseStringArray('{a}')).toEqual(['a']);
    expect(parseStringArray('{a,b,NULL,c}')).toEqual(['a', 'b', null, 'c']);
  });

  it('hands quoted, nested and bounded arrays to pg-types', () => {
    expect(parseStringArray('{"NULL",NULL,""}')).toEqual(['NULL', null, '']);
    expect(parseStringArray('{"a\\"b","c\\\\d"}')).toEqual(['a"b', 'c\\d']);
    expect(parseStringArray('{{a,b},{c,d}}')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseStringArray('[0:1]={a,b}')).toEqual(['a', 'b']);
  });

  it("gives pg-types' result for 2,000 random arrays as PostgreSQL writes them", () => {
    const random = lcg(66);
    for (let i = 0; i < 2000; i++) {
      const text = arrayOut(randomArray(random));
      expect([text, parseStringArray(text)]).toEqual([text, pgTypesStringArray(text)]);
    }
  });

  it('is the parser for text[], varchar[] and uuid[] only, in text format', () => {
    const of = (oid: number, format?: 'text' | 'binary') =>
      pgTypeParsers.getTypeParser(oid, format) as unknown;
    expect(of(1009)).toBe(parseStringArray);
    expect(of(1015, 'text')).toBe(parseStringArray);
    expect(of(2951)).toBe(parseStringArray);
    expect(of(1009, 'binary')).toBe(types.getTypeParser(1009 as TypeId, 'binary'));
    expect(of(1007)).toBe(types.getTypeParser(1007 as TypeId));
    expect(of(25)).toBe(types.getTypeParser(25));
  });
});

describe('arrayLiteral', () => {
  it("is pg's own literal for the same flat array, but for quoting numbers", () => {
    const random = lcg(7);
    for (let i = 0; i < 2000; i++) {
      const values = randomArray(random);
      expect([values, arrayLiteral(values)]).toEqual([values, prepareValue(values)]);
    }
    expect(arrayLiteral([1, 20, null, undefined])).toBe('{1,20,NULL,NULL}');
    expect(prepareValue([1, 20, null, undefined])).toBe('{"1","20",NULL,NULL}');
    expect(arrayLiteral([])).toBe('{}');
  });

  it("leaves any other array to pg's conversion", () => {
    expect(arrayLiteral([new Date(0)])).toBeUndefined();
    expect(arrayLiteral([['nested']])).toBeUndefined();
    expect(arrayLiteral([true])).toBeUndefined();
    const other = [Buffer.from('x')];
    expect(toParam(other)).toBe(other);
    expect(toParam('text')).toBe('text');
    expect(toParam(['a"b'])).toBe('{"a\\"b"}');
  });
});
