/**
 * Arrays between the services and PostgreSQL without node-postgres's per-character work. Storage
 * reads every message's member ids as a `text[]` and sends each batch as arrays: pg-types parses
 * an array result one character at a time (an object per character), and pg builds an array
 * parameter by appending each element to a growing string. Together they were a tenth of what
 * storage allocated per message (docs/PERFORMANCE.md, the sixty-sixth sitting).
 */

import { types, type CustomTypesConfig } from 'pg';

type TypeId = Parameters<typeof types.getTypeParser>[0];

/** PostgreSQL's type oids for the string arrays parsed here: text[], varchar[] and uuid[]. */
const STRING_ARRAY_OIDS: ReadonlySet<number> = new Set([1009, 1015, 2951]);
const TEXT_ARRAY_OID = 1009 as TypeId;

/**
 * A string array as PostgreSQL writes it, parsed with one `split` when no element is quoted
 * (PostgreSQL quotes an element that is empty, is `NULL` in any case, or holds a space, a
 * comma, a quote, a backslash or a brace, so an unquoted `NULL` is the null element). Anything
 * else (quoted elements, nested arrays, explicit bounds) goes to pg-types' own parser, so the
 * result is always the one pg-types gives.
 */
export function parseStringArray(value: string): (string | null)[] | null {
  if (value === '{}') return [];
  const last = value.length - 1;
  if (
    value.charCodeAt(0) !== 0x7b /* { */ ||
    value.charCodeAt(last) !== 0x7d /* } */ ||
    value.indexOf('"') !== -1 ||
    value.indexOf('\\') !== -1 ||
    value.indexOf('{', 1) !== -1
  ) {
    return fallbackStringArray(value);
  }
  const entries: (string | null)[] = value.slice(1, last).split(',');
  for (let i = 0; i < entries.length; i++) if (entries[i] === 'NULL') entries[i] = null;
  return entries;
}

const fallbackStringArray = types.getTypeParser(TEXT_ARRAY_OID, 'text') as (
  value: string,
) => (string | null)[] | null;

/**
 * node-postgres's `types` option for a pool: pg-types' parsers, except `parseStringArray` for
 * the string arrays.
 */
export const pgTypeParsers: CustomTypesConfig = {
  getTypeParser: ((oid: TypeId, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    STRING_ARRAY_OIDS.has(oid) && format !== 'binary'
      ? parseStringArray
      : (types.getTypeParser(oid, format) as (
          value: string,
        ) => unknown)) as typeof types.getTypeParser,
};

const NEEDS_ESCAPE = /["\\]/;

/**
 * An array parameter as PostgreSQL's text form of it (`{"a","b",3,NULL}`), made in one `join`:
 * what pg would send for the same array, which it builds element by element. Only for a flat
 * array of strings, numbers and nulls (undefined is null, as pg has it); for any other array it
 * returns undefined and pg's own conversion applies. Strings are always quoted, so an empty
 * string or the text `NULL` stays a string.
 */
export function arrayLiteral(values: readonly unknown[]): string | undefined {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string') {
      parts[i] = `"${NEEDS_ESCAPE.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;
    } else if (typeof v === 'number') parts[i] = String(v);
    else if (v === null || v === undefined) parts[i] = 'NULL';
    else return undefined;
  }
  return `{${parts.join(',')}}`;
}

/** A statement's parameter as sent: a flat array as its literal, anything else as given. */
export function toParam(value: unknown): unknown {
  return Array.isArray(value) ? (arrayLiteral(value) ?? value) : value;
}
