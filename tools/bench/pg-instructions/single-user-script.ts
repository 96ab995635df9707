import { type PreparedStatement, RANDOM_PAGE_COST, toParam } from '@parley/common';

/**
 * What `postgres --single -j` reads as the end of a statement: a semicolon, then an empty line.
 * A statement's own text must not hold it.
 */
export const STATEMENT_END = ';\n\n';

/** The plan cache's modes (`plan_cache_mode`): `auto` is what the services' pools run. */
export const PLAN_CACHE_MODES = ['auto', 'force_custom_plan', 'force_generic_plan'] as const;
export type PlanCacheMode = (typeof PLAN_CACHE_MODES)[number];

/** The prepared statement's name in the script (one statement per script). */
const PREPARED_NAME = 'measured';

/**
 * A parameter as the argument of an EXECUTE: the text node-postgres would bind for it (a flat
 * array as its literal, `toParam`), as a string literal of unknown type, which PostgreSQL casts
 * to the parameter's type as it does a bound text value. Null is NULL.
 */
export function executeArgument(value: unknown): string {
  const param = toParam(value);
  if (param === null || param === undefined) return 'NULL';
  if (typeof param === 'string' || typeof param === 'number' || typeof param === 'boolean') {
    if (typeof param === 'number' && !Number.isFinite(param)) {
      throw new Error(`executeArgument: ${param} is not a finite number`);
    }
    return `'${String(param).replace(/'/g, "''")}'`;
  }
  throw new Error(`executeArgument: no text form for a parameter of type ${typeof param}`);
}

/**
 * A parameter the same in every call whose literal is longer than this many characters is set
 * once, as a session setting, and each EXECUTE reads it with `current_setting`. A single-user
 * backend reads its input a character at a time, about 85 instructions each (a Bind copies the
 * bytes): inline, the hundred conversation ids a returning device names would add about 0.4 M
 * instructions to each call of `positions`. Reading a setting costs about 20 k a call, so a
 * shorter literal stays inline (an append's EXECUTE, about 200 characters, still counts about
 * 17 k of reading: 2%).
 */
export const SHARED_LITERAL_MIN = 256;

/** The session setting that holds parameter `n` (1-based) shared by every call. */
const sharedSetting = (n: number): string => `parley_instructions.p${n}`;

export interface SingleUserScripts {
  /** The warm-up calls alone. */
  warmUp: string;
  /** The warm-up calls, then the measured ones. */
  measured: string;
}

/**
 * The scripts a single-user backend runs to measure `statement`: the session settings every
 * service's pool sets (no JIT, its random_page_cost), the plan cache's mode, the parameters every
 * call shares (SHARED_LITERAL_MIN), the statement prepared as the services' pools prepare it
 * (parameter types inferred: `parameterTypes` are the ones PostgreSQL infers, for the shared
 * parameters' casts), then one EXECUTE per call: the first `warmUpCalls` of `calls`, then the
 * rest. Each statement is its own transaction, as the pools run them.
 */
export function singleUserScripts(
  statement: PreparedStatement,
  calls: readonly (readonly unknown[])[],
  warmUpCalls: number,
  options: { parameterTypes: readonly string[]; planCacheMode?: PlanCacheMode },
): SingleUserScripts {
  if (statement.text.includes(STATEMENT_END)) {
    throw new Error(`singleUserScripts: ${statement.name} holds ";" and an empty line`);
  }
  const { parameterTypes } = options;
  const literals = calls.map((values) => {
    if (values.length !== parameterTypes.length) {
      throw new Error(
        `singleUserScripts: ${statement.name} takes ${parameterTypes.length} parameters, not ${values.length}`,
      );
    }
    return values.map(executeArgument);
  });
  const shared = parameterTypes.map(
    (_, i) =>
      literals.length > 0 &&
      literals[0][i].length > SHARED_LITERAL_MIN &&
      literals.every((l) => l[i] === literals[0][i]),
  );
  const preamble = [
    'SET jit = off',
    `SET random_page_cost = ${RANDOM_PAGE_COST}`,
    `SET plan_cache_mode = ${options.planCacheMode ?? 'auto'}`,
    ...parameterTypes.flatMap((_, i) =>
      shared[i] ? [`SET ${sharedSetting(i + 1)} = ${literals[0][i]}`] : [],
    ),
    `PREPARE ${PREPARED_NAME} AS ${statement.text}`,
  ];
  const executes = literals.map((call) => {
    const args = call.map((literal, i) =>
      shared[i] ? `current_setting('${sharedSetting(i + 1)}')::${parameterTypes[i]}` : literal,
    );
    return `EXECUTE ${PREPARED_NAME}(${args.join(', ')})`;
  });
  const script = (lines: readonly string[]) => lines.map((line) => line + STATEMENT_END).join('');
  return {
    warmUp: script([...preamble, ...executes.slice(0, warmUpCalls)]),
    measured: script([...preamble, ...executes]),
  };
}
