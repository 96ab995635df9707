import { registeredCounter } from '@parley/common';
import type { Counter } from 'prom-client';

/**
 * How a socket was let in: a directory `ticket`, a `resume` ticket, or `direct` (the access token
 * in the upgrade); `redirected` counts direct upgrades answered 421 (sent to the directory).
 */
export type UpgradeWay = 'ticket' | 'resume' | 'direct' | 'redirected';

let upgrades: Counter<'via'> | undefined;

/** `parley_ws_upgrades_total{via}` on the gateway's /metrics (prom-client's default registry). */
export function upgradesCounter(): Counter<'via'> {
  upgrades ??= registeredCounter({
    name: 'parley_ws_upgrades_total',
    help: 'WebSocket upgrades admitted, by how they were let in (ticket, resume, direct), and direct ones sent to the directory (redirected).',
    labelNames: ['via'],
  });
  return upgrades;
}
