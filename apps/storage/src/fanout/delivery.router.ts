import { Injectable } from '@nestjs/common';
import { DeviceConnection, DeviceLocationsRepository } from '@parley/common';
import { dropDeadGateways } from './message-fanout.plan';

/** Gateway ids remembered to ask about with the locations (a cluster has a handful). */
const MAX_KNOWN_GATEWAYS = 256;

export interface Routes {
  /** userId -> the sockets to push to (on live gateways). */
  routable: Map<string, DeviceConnection[]>;
  /** Sockets dropped because their gateway died without closing them (forgotten already). */
  staleConnections: number;
}

/**
 * Where users' sockets are: ONE Redis round trip for the users' device locations and whether the
 * gateways seen before are still live (a second only for a gateway not seen before); sockets of
 * dead gateways are forgotten. Shared by every fan-out (messages, receipts).
 */
@Injectable()
export class DeliveryRouter {
  private readonly knownGateways = new Set<string>();

  constructor(private readonly locations: DeviceLocationsRepository) {}

  async route(userIds: readonly string[]): Promise<Routes> {
    const { connections: located, live } = await this.locations.findConnectionsAndLive(userIds, [
      ...this.knownGateways,
    ]);
    const gatewayIds = new Set([...located.values()].flat().map((c) => c.gatewayId));
    const unknown = [...gatewayIds].filter((id) => !this.knownGateways.has(id));
    if (unknown.length > 0) {
      for (const id of await this.locations.liveGateways(unknown)) live.add(id);
      for (const id of unknown) this.remember(id);
    }
    const { routable, stale } = dropDeadGateways(located, live);
    if (stale.length > 0) await this.locations.forget(stale);
    return { routable, staleConnections: stale.length };
  }

  private remember(gatewayId: string): void {
    if (this.knownGateways.size >= MAX_KNOWN_GATEWAYS) this.knownGateways.clear();
    this.knownGateways.add(gatewayId);
  }
}
