import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { toParam } from './pg-arrays';

/**
 * A statement run as a NAMED prepared statement: each pooled connection parses it once, and
 * PostgreSQL's plan cache may then keep a generic plan for it (after five executions, when that
 * plan is not dearer than the custom ones; plans are re-made when a table's statistics or schema
 * change). An unnamed statement is parsed, analysed and planned on every call, which for the
 * message path's CTEs was about 40% of PostgreSQL's CPU per batch (docs/PERFORMANCE.md).
 *
 * For the hot statements only: a name is one text for the life of a connection.
 */
export interface PreparedStatement {
  /** Unique in the process; the convention is `<owner>.<repository>.<method>`. */
  readonly name: string;
  readonly text: string;
}

export function preparedStatement(name: string, text: string): PreparedStatement {
  return { name, text };
}

/**
 * `unnest` over a prepared statement's array parameters (`'$1::text[]'`, ...), each read through
 * a scalar subquery, so that no plan sees how long the bound arrays are. With a bare
 * `unnest($1::text[])` a custom plan counts the elements while the generic plan guesses ten, so
 * for short arrays the custom plan always looks cheaper and the plan cache plans the statement
 * again on every call (planning cost storage's append more than running it: docs/PERFORMANCE.md).
 * Through the subqueries both plans guess ten rows and the cache keeps the generic plan after five
 * calls. For statements whose best plan does not turn on the arrays' length (rows looked up by key).
 */
export function unnestParams(...params: readonly string[]): string {
  return `unnest(${params.map((param) => `(SELECT ${param})`).join(', ')})`;
}

/**
 * `ANY` over a prepared statement's array parameter (`'$2::text[]'`), read through a scalar
 * subquery as `unnestParams` reads its arrays, for a key probe per element (`id = ${anyParam(…)}`):
 * with a bare `ANY($2)` a custom plan counts the elements and, for a few, always looks cheaper than
 * the generic plan, so the statement is planned again on every call. The outer cast keeps the
 * parenthesised subquery an expression (`ANY ((SELECT …))` would be `ANY` over a subquery's rows).
 */
export function anyParam(param: string): string {
  const cast = param.indexOf('::');
  if (cast < 0) throw new Error(`anyParam(${param}): name the array's type ('$1::text[]')`);
  return `ANY((SELECT ${param})${param.slice(cast)})`;
}

/** The pg pool behind a TypeORM PostgreSQL data source. */
function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

/**
 * Runs `statement` with `values` and returns its rows. On a `DataSource` it takes any pooled
 * connection; on an `EntityManager` of a running transaction it runs on that transaction's
 * connection. Errors are pg's own (`code` is PostgreSQL's SQLSTATE), not TypeORM's wrapper. Flat
 * arrays go as their literal (`arrayLiteral`).
 */
export async function runPrepared<Row extends QueryResultRow>(
  on: DataSource | EntityManager,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<Row[]> {
  const config = { name: statement.name, text: statement.text, values: values.map(toParam) };
  if (on instanceof DataSource) return (await poolOf(on).query<Row>(config)).rows;
  const runner = on.queryRunner as PostgresQueryRunner | undefined;
  if (!runner || runner.isReleased || !runner.isTransactionActive) {
    throw new Error(`runPrepared(${statement.name}): the entity manager holds no open transaction`);
  }
  const client = (await runner.connect()) as PoolClient;
  return (await client.query<Row>(config)).rows;
}
