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
  const client = await connectLoopbackDatabase(url);
  try {
    const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
    if (rows[0]?.autovacuum === 'on') return 'autovacuum on';
    await client.query('ANALYZE');
    return 'analyzed';
  } finally {
    await client.end().catch(() => undefined);
  }
}
