import type { Histogram } from 'prom-client';
import { registeredHistogram } from './registered-metrics';

/**
 * One message's path, hop by hop, each measured from the same origin: `acceptedAt`, the gateway's
 * clock when it accepted the send (all services share one host clock on a single machine; across
 * machines the figures carry the clocks' skew). Every service observes the hops it sees into
 * `parley_message_hop_seconds{hop}`, so the differences between consecutive hops say where the
 * milliseconds go (`npm run loadtest` prints them per step).
 */
export const MESSAGE_HOPS = [
  /** gateway: Kafka acknowledged the `message.accepted` record (the `accepted` frame leaves). */
  'kafka_appended',
  /** storage: the record reached the persist step (fetched, decoded, validated). */
  'storage_fetched',
  /** storage: its transaction committed. */
  'storage_committed',
  /** storage: the delivery batches were published to the gateway boxes (after the commit). */
  'fanout_published',
  /** gateway: the `message` frame was written to a recipient's socket. */
  'gateway_out',
  /** gateway: the `ack` frame was written to the sender's socket. */
  'ack_out',
] as const;
export type MessageHop = (typeof MESSAGE_HOPS)[number];

export const MESSAGE_HOP_METRIC = 'parley_message_hop_seconds';

/** Fine at the low end: the latency floor is judged in milliseconds. */
export const MESSAGE_HOP_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2,
  0.3, 0.5, 0.75, 1, 2, 5, 10,
];

let histogram: Histogram<'hop'> | undefined;

function hops(): Histogram<'hop'> {
  histogram ??= registeredHistogram({
    name: MESSAGE_HOP_METRIC,
    help: 'Seconds from the gateway accepting a send (acceptedAt) to each hop of its path.',
    labelNames: ['hop'],
    buckets: MESSAGE_HOP_BUCKETS,
  });
  return histogram;
}

/**
 * Each hop's labelled child, made once: `labels()` builds a child (an object and two closures)
 * on every call, and a message passes three hops in each process it crosses.
 */
const observers = new Map<MessageHop, Histogram.Internal<'hop'>>();

function observerOf(hop: MessageHop): Histogram.Internal<'hop'> {
  let observer = observers.get(hop);
  if (!observer) {
    observer = hops().labels(hop);
    observers.set(hop, observer);
  }
  return observer;
}

/**
 * Observes `hop` for a message accepted at `acceptedAt` (ISO time; absent on events from before
 * the field existed, which are skipped).
 */
export function observeHop(
  hop: MessageHop,
  acceptedAt: string | undefined,
  now = Date.now(),
): void {
  if (acceptedAt === undefined) return;
  const origin = Date.parse(acceptedAt);
  if (!Number.isFinite(origin)) return;
  observerOf(hop).observe(Math.max(0, now - origin) / 1000);
}
