import { Counter, Histogram, register } from 'prom-client';

/** The read model's reads a sync round issues (a label of `parley_sync_queries_total`). */
export type SyncStatement = 'ranges' | 'positions' | 'others' | 'windows' | 'tails' | 'after';

/** Sync v2's cost, on the gateway's /metrics (prom-client's default registry, registered once). */
export interface SyncMetrics {
  rounds: Counter<'outcome'>;
  /** Server time answering `sync.states` frames (database and encoding, not the wire). */
  seconds: Histogram;
  /** SQL statements, by which of ConversationStatesReadModel's reads (SyncStatement). */
  queries: Counter<'statement'>;
  messages: Counter;
  states: Counter;
  /** Summary rounds, by outcome (matched or mismatched). */
  summaries: Counter<'outcome'>;
}

let metrics: SyncMetrics | undefined;

function existing<T>(name: string): T | undefined {
  return register.getSingleMetric(name) as T | undefined;
}

export function syncMetrics(): SyncMetrics {
  metrics ??= {
    rounds:
      existing<Counter<'outcome'>>('parley_sync_rounds_total') ??
      new Counter({
        name: 'parley_sync_rounds_total',
        help: 'Sync v2 rounds answered, by outcome (converged or not).',
        labelNames: ['outcome'],
      }),
    seconds:
      existing<Histogram>('parley_sync_seconds') ??
      new Histogram({
        name: 'parley_sync_seconds',
        help: 'Server time answering sync v2 frames (sync.states), each observed alone.',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      }),
    queries:
      existing<Counter<'statement'>>('parley_sync_queries_total') ??
      new Counter({
        name: 'parley_sync_queries_total',
        help: 'SQL statements sync v2 issued, by statement (ranges, positions, others, windows, tails, after).',
        labelNames: ['statement'],
      }),
    messages:
      existing<Counter>('parley_sync_messages_total') ??
      new Counter({ name: 'parley_sync_messages_total', help: 'Messages sync v2 sent.' }),
    states:
      existing<Counter>('parley_sync_states_total') ??
      new Counter({
        name: 'parley_sync_states_total',
        help: 'Conversation states (and tail requests) sync v2 answered.',
      }),
    summaries:
      existing<Counter<'outcome'>>('parley_sync_summaries_total') ??
      new Counter({
        name: 'parley_sync_summaries_total',
        help: 'Sync v2 summary rounds, by outcome (matched or mismatched).',
        labelNames: ['outcome'],
      }),
  };
  return metrics;
}
