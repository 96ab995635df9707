import { preparedStatement } from '@parley/common';
import {
  executeArgument,
  SHARED_LITERAL_MIN,
  singleUserScripts,
  STATEMENT_END,
} from './single-user-script';

describe('executeArgument', () => {
  it('writes what node-postgres binds, as a string literal PostgreSQL casts to the parameter', () => {
    expect(executeArgument('abc')).toBe(`'abc'`);
    expect(executeArgument(10_000)).toBe(`'10000'`);
    expect(executeArgument(false)).toBe(`'false'`);
    expect(executeArgument(null)).toBe('NULL');
    expect(executeArgument(undefined)).toBe('NULL');
  });

  it('doubles quotes and keeps backslashes (standard conforming strings)', () => {
    expect(executeArgument(`it's \\n`)).toBe(`'it''s \\n'`);
  });

  it('writes a flat array as its PostgreSQL literal, elements quoted and nulls NULL', () => {
    expect(executeArgument(['a', `b'"c`, null, 3])).toBe(`'{"a","b''\\"c",NULL,3}'`);
    expect(executeArgument([])).toBe(`'{}'`);
  });

  it('refuses what it has no text for', () => {
    expect(() => executeArgument({ a: 1 })).toThrow('no text form');
    expect(() => executeArgument(Number.NaN)).toThrow('not a finite number');
    expect(() => executeArgument([[1]])).toThrow('no text form');
  });
});

describe('singleUserScripts', () => {
  const statement = preparedStatement('test.thing', 'SELECT $1::text || $2::int');
  const types = { parameterTypes: ['text', 'integer'] };
  const statements = (script: string) => script.split(STATEMENT_END);

  it('sets the pools’ session settings and the plan mode, prepares once, executes each call', () => {
    const { warmUp, measured } = singleUserScripts(
      statement,
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
      1,
      {
        ...types,
        planCacheMode: 'force_generic_plan',
      },
    );
    const preamble = [
      'SET jit = off',
      'SET random_page_cost = 1.1',
      'SET plan_cache_mode = force_generic_plan',
      'PREPARE measured AS SELECT $1::text || $2::int',
    ];
    expect(statements(warmUp)).toEqual([...preamble, `EXECUTE measured('a', '1')`, '']);
    expect(statements(measured)).toEqual([
      ...preamble,
      `EXECUTE measured('a', '1')`,
      `EXECUTE measured('b', '2')`,
      `EXECUTE measured('c', '3')`,
      '',
    ]);
  });

  it('runs the plan cache as the pools do unless told otherwise', () => {
    expect(singleUserScripts(statement, [], 0, types).measured).toContain(
      'SET plan_cache_mode = auto;\n\n',
    );
  });

  it('sets a long parameter every call shares once, and reads it cast to its type', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `conversation-${i}`);
    const arrays = preparedStatement('test.arrays', 'SELECT $1::text[], $2::int, $3::text');
    const long = 'x'.repeat(SHARED_LITERAL_MIN + 1);
    const calls = [
      [ids, 7, long],
      [ids, 7, `${long}y`],
    ];

    const { measured } = singleUserScripts(arrays, calls, 1, {
      parameterTypes: ['text[]', 'integer', 'text'],
    });

    const literal = `'{${ids.map((id) => `"${id}"`).join(',')}}'`;
    expect(statements(measured).slice(3)).toEqual([
      `SET parley_instructions.p1 = ${literal}`,
      'PREPARE measured AS SELECT $1::text[], $2::int, $3::text',
      `EXECUTE measured(current_setting('parley_instructions.p1')::text[], '7', '${long}')`,
      `EXECUTE measured(current_setting('parley_instructions.p1')::text[], '7', '${long}y')`,
      '',
    ]);
  });

  it('refuses a statement whose text would end early, or calls of another arity', () => {
    const split = preparedStatement('test.split', 'SELECT 1;\n\nSELECT 2');
    expect(() => singleUserScripts(split, [], 0, { parameterTypes: [] })).toThrow('test.split');
    expect(() => singleUserScripts(statement, [['a']], 0, types)).toThrow(
      'takes 2 parameters, not 1',
    );
  });
});
