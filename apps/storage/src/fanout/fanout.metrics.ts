import { registeredCounter } from '@parley/common';
import type { Counter } from 'prom-client';

/** How a message fan-out found its routes (a label of `parley_fanout_routes_total`). */
export type FanoutRoutes = 'remembered' | 'moved' | 'looked-up';

let routes: Counter<'routes'> | undefined;

/**
 * Message fan-outs on storage's /metrics, by how they routed: `remembered` (planned with routes
 * looked up before, checked and published in one call), `moved` (the check found a route moved:
 * looked up and published again), `looked-up` (a recipient not remembered, or too many).
 */
export function fanoutRoutes(): Counter<'routes'> {
  routes ??= registeredCounter({
    name: 'parley_fanout_routes_total',
    help: 'Message fan-outs, by how they found their routes (remembered, moved, looked-up).',
    labelNames: ['routes'],
  });
  return routes;
}
