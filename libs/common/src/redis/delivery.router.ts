import { Injectable } from '@nestjs/common';
import {
  ConnectionRef,
  DeviceConnection,
  DeviceLocationsRepository,
} from './device-locations.repository';

/** Gateway ids remembered to ask about with the locations (a cluster has a handful). */
const MAX_KNOWN_GATEWAYS = 256;

export interface Routes {
  /** userId -> the sockets to push to (on live gateways). */
  routable: Map<string, DeviceConnection[]>;
  /** Sockets dropped because their gateway died without closing them (forgotten already). */
  staleConnections: number;
  /**
   * Each user's socket hash as read (HGETALL's flat field/value list, in Redis's order), for the
   * users whose every socket is routable while the directory is not cold: a later fan-out to them
   * may reuse their `routable` entry without a look-up if its publish finds the hash, and their
   * gateways live, unchanged (storage's RouteMemory). No user while the directory is cold.
   */
  settled: Map<string, readonly string[]>;
}

/**
 * Where users' sockets are: ONE Redis round trip for the users' device locations and whether the
 * gateways seen before are still live (a second only for a gateway not seen before); sockets of
 * dead gateways are forgotten. Shared by every fan-out (storage's messages and receipts, presence's typing).
 */
/**
 * Keeps sockets whose gateway is in the live directory; the others are stale (their gateway died
 * without closing them) and are returned for removal. If NONE of the gateways looks live, the
 * directory is more likely cold (session restarted, heartbeats not replayed yet) than every box
 * dead: then everything is routed and nothing removed (publishing to a dead box is harmless).
 */
export function dropDeadGateways(
  located: ReadonlyMap<string, readonly DeviceConnection[]>,
  live: ReadonlySet<string>,
): { routable: Map<string, DeviceConnection[]>; stale: ConnectionRef[] } {
  const routable = new Map<string, DeviceConnection[]>();
  const stale: ConnectionRef[] = [];
  const cold = live.size === 0;
  for (const [userId, connections] of located) {
    const kept: DeviceConnection[] = [];
    for (const c of connections) {
      if (cold || live.has(c.gatewayId)) kept.push(c);
      else stale.push({ userId, connectionId: c.connectionId });
    }
    routable.set(userId, kept);
  }
  return { routable, stale };
}

@Injectable()
export class DeliveryRouter {
  private readonly knownGateways = new Set<string>();

  constructor(private readonly locations: DeviceLocationsRepository) {}

  async route(userIds: readonly string[]): Promise<Routes> {
    const {
      connections: located,
      live,
      held,
    } = await this.locations.findConnectionsAndLive(userIds, [...this.knownGateways]);
    const gatewayIds = new Set([...located.values()].flat().map((c) => c.gatewayId));
    const unknown = [...gatewayIds].filter((id) => !this.knownGateways.has(id));
    if (unknown.length > 0) {
      for (const id of await this.locations.liveGateways(unknown)) live.add(id);
      for (const id of unknown) this.remember(id);
    }
    const { routable, stale } = dropDeadGateways(located, live);
    if (stale.length > 0) await this.locations.forget(stale);
    const settled = new Map<string, readonly string[]>();
    if (live.size > 0) {
      for (const [userId, kept] of routable) {
        const hash = held.get(userId);
        if (hash && kept.length === located.get(userId)?.length) settled.set(userId, hash);
      }
    }
    return { routable, staleConnections: stale.length, settled };
  }

  private remember(gatewayId: string): void {
    if (this.knownGateways.size >= MAX_KNOWN_GATEWAYS) this.knownGateways.clear();
    this.knownGateways.add(gatewayId);
  }
}
