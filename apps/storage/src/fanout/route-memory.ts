import type { DeviceConnection, Routes } from '@parley/common';
import { LRUCache } from 'lru-cache';

/**
 * What a plan made from remembered routes assumed, for its publish to check in Redis at the moment
 * it publishes (DeliveryPublisher): each recipient's socket hash still holds exactly these fields
 * and values (HGETALL's flat list, in Redis's order), and each gateway holding one of those
 * sockets is still in the live directory.
 */
export interface RouteCheck {
  users: readonly { userId: string; held: readonly string[] }[];
  gateways: readonly string[];
}

export interface RecalledRoutes {
  routable: ReadonlyMap<string, readonly DeviceConnection[]>;
  check: RouteCheck;
}

/** Users whose routes are kept: a few megabytes at most. */
export const REMEMBERED_USERS_MAX = 50_000;

interface Remembered {
  held: readonly string[];
  connections: readonly DeviceConnection[];
}

/**
 * The routes of the last look-ups, so a fan-out to users looked up before can plan without a
 * look-up and publish in one Redis call that first checks the routes it planned with
 * (RouteCheck): a hash that reads the same holds the same sockets. Nothing here is trusted: a
 * check that fails publishes
 * nothing, and the fan-out looks the users up and publishes as it would have without it.
 */
export class RouteMemory {
  private readonly users = new LRUCache<string, Remembered>({ max: REMEMBERED_USERS_MAX });

  /** Keeps the settled users' routes of a look-up; forgets the others it read. */
  learn({ routable, settled }: Pick<Routes, 'routable' | 'settled'>): void {
    for (const [userId, connections] of routable) {
      const held = settled.get(userId);
      if (held) this.users.set(userId, { held, connections });
      else this.users.delete(userId);
    }
  }

  /** Every user's remembered routes and what they assume, or null if one is not remembered. */
  recall(userIds: readonly string[]): RecalledRoutes | null {
    const routable = new Map<string, readonly DeviceConnection[]>();
    const users: { userId: string; held: readonly string[] }[] = [];
    const gateways = new Set<string>();
    for (const userId of userIds) {
      const known = this.users.get(userId);
      if (!known) return null;
      routable.set(userId, known.connections);
      users.push({ userId, held: known.held });
      for (const c of known.connections) gateways.add(c.gatewayId);
    }
    return { routable, check: { users, gateways: [...gateways] } };
  }
}
