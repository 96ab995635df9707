import type { Client } from 'pg';
import { connectLoopbackDatabase } from './pg-stats';

/** What `refreshPlannerStats` did: nothing when the server's autovacuum keeps statistics itself. */
export type PlannerStatsRefresh = 'analyzed' | 'autovacuum on';

/**
 * Gives the stack's database the planner statistics autovacuum would have given it by now, when
 * the server runs without autovacuum (this machine's CI PostgreSQL does: `autovacuum = off`).
 * There a fresh database is never analyzed, so the services' prepared statements keep the generic
 * plans PostgreSQL chose over empty tables (sequential scans and hash joins, which grow with every
 * row written) until an ANALYZE invalidates them: a run on a fresh database then measures those
 * plans rather than Parley (docs/PERFORMANCE.md, "First contacts, one round trip"). One ANALYZE
 * after the warm-up, as autovacuum's first round would have done within its minute, and nothing
 * on a server that runs autovacuum. Loopback only, one short-lived connection.
 */
export async function refreshPlannerStats(url: string): Promise<PlannerStatsRefresh> {
  return withoutAutovacuum(url, async (client) => {
    await client.query('ANALYZE');
    return 'analyzed' as const;
  });
}

/**
 * Runs `work` on one short-lived loopback connection to the database, unless its server runs
 * autovacuum, which keeps the statistics itself: then nothing is done.
 */
async function withoutAutovacuum<T>(
  url: string,
  work: (client: Client) => Promise<T>,
): Promise<T | 'autovacuum on'> {
  const client = await connectLoopbackDatabase(url);
  try {
    const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
    if (rows[0]?.autovacuum === 'on') return 'autovacuum on';
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What `analyzeDueTables` did: the tables it analyzed, or nothing when autovacuum runs. */
export type DueTablesAnalysis = { analyzed: string[] } | 'autovacuum on';

/**
 * The tables autovacuum would have analyzed again since the last ANALYZE: those with more rows
 * changed than `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor * reltuples` (the
 * server's own settings, autovacuum's rule). Identifiers quoted by PostgreSQL (`%I`).
 */
const DUE_TABLES = `
  SELECT format('%I.%I', s.schemaname, s.relname) AS name
    FROM pg_stat_user_tables s
    JOIN pg_class c ON c.oid = s.relid
   WHERE s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
         + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
   ORDER BY s.schemaname, s.relname`;

/**
 * Between steps: ANALYZE what autovacuum would have analyzed by now, when the server runs without
 * it. The one ANALYZE after the warm-up gives the planner the tables as the warm-up left them; a
 * ladder's later steps write many times that (a warm-up at 1/s leaves 20 messages, the 1,000/s
 * step writes 30,000), and the services' prepared statements keep generic plans made for the small
 * tables until an ANALYZE invalidates them. Autovacuum re-analyzes a table once a tenth of it
 * (and 50 rows) changed, every minute; so does this, after each step.
 */
export async function analyzeDueTables(url: string): Promise<DueTablesAnalysis> {
  return withoutAutovacuum(url, async (client) => {
    const due = (await client.query<{ name: string }>(DUE_TABLES)).rows.map((r) => r.name);
    if (due.length > 0) await client.query(`ANALYZE ${due.join(', ')}`);
    return { analyzed: due };
  });
}
