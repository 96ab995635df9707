import { Client } from 'pg';
import { isLoopbackUrl } from './loopback';

/**
 * Rows written to one table, from PostgreSQL's statistics (`pg_stat_user_tables`: n_tup_ins,
 * n_tup_upd, n_tup_del), read before and after a step. Read-only: one connection, one SELECT per
 * read. PostgreSQL backends report their counts when they go idle, at most once a second (up to
 * 10 s late for a backend that then stays idle), so read over tens of seconds, and after a drain.
 */
export interface TableWrites {
  inserted: number;
  updated: number;
  deleted: number;
}

/** after - before (a reset of the statistics counts from zero: never negative). */
export function diffTableWrites(
  before: TableWrites,
  after: TableWrites,
): TableWrites & {
  rows: number;
} {
  const d = (a: number, b: number) => Math.max(0, a - b);
  const inserted = d(after.inserted, before.inserted);
  const updated = d(after.updated, before.updated);
  const deleted = d(after.deleted, before.deleted);
  return { inserted, updated, deleted, rows: inserted + updated + deleted };
}

/** A row of the statistics query as `pg` answers it (bigints come as strings). */
export function parseTableWrites(row: Record<string, unknown> | undefined): TableWrites {
  const n = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));
  return {
    inserted: n(row?.inserted),
    updated: n(row?.updated),
    deleted: n(row?.deleted),
  };
}

/** The load tool's one connection to the stack's database: loopback only, connected. */
export async function connectLoopbackDatabase(url: string): Promise<Client> {
  if (!isLoopbackUrl(url)) throw new Error('refusing a non-loopback database');
  const client = new Client({
    connectionString: url,
    application_name: 'parley-loadtest',
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export class TableWriteStats {
  private constructor(
    private readonly client: Client,
    readonly table: string,
  ) {}

  static async open(url: string, table: string): Promise<TableWriteStats> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`not a table name: ${table}`);
    const client = await connectLoopbackDatabase(url);
    const stats = new TableWriteStats(client, table);
    await stats.read();
    return stats;
  }

  /** The table's counters now (zeros while it does not exist). */
  async read(): Promise<TableWrites> {
    const result = await this.client.query<Record<string, unknown>>(
      `SELECT sum(n_tup_ins) AS inserted, sum(n_tup_upd) AS updated, sum(n_tup_del) AS deleted
         FROM pg_stat_user_tables WHERE relname = $1`,
      [this.table],
    );
    return parseTableWrites(result.rows[0]);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
