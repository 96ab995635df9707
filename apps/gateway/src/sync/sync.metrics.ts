import { registeredCounter, registeredHistogram } from '@parley/common';
import type { Counter, Histogram } from 'prom-client';

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

export function syncMetrics(): SyncMetrics {
  metrics ??= {
    rounds: registeredCounter({
      name: 'parley_sync_rounds_total',
      help: 'Sync v2 rounds answered, by outcome (converged or not).',
      labelNames: ['outcome'],
    }),
    seconds: registeredHistogram({
      name: 'parley_sync_seconds',
      help: 'Server time answering sync v2 frames (sync.states), each observed alone.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    queries: registeredCounter({
      name: 'parley_sync_queries_total',
      help: 'SQL statements sync v2 issued, by statement (ranges, positions, others, windows, tails, after).',
      labelNames: ['statement'],
    }),
    messages: registeredCounter({
      name: 'parley_sync_messages_total',
      help: 'Messages sync v2 sent.',
    }),
    states: registeredCounter({
      name: 'parley_sync_states_total',
      help: 'Conversation states (and tail requests) sync v2 answered.',
    }),
    summaries: registeredCounter({
      name: 'parley_sync_summaries_total',
      help: 'Sync v2 summary rounds, by outcome (matched or mismatched).',
      labelNames: ['outcome'],
    }),
  };
  return metrics;
}
