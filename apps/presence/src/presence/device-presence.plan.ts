import type { PresenceDevice } from '@parley/common';
import type { ConnectionEventEnvelope } from './presence-events';

/** One socket's entry to write: `ifAbsent` for an opening (a socket already known keeps its state). */
export interface DeviceWrite {
  userId: string;
  connectionId: string;
  device: PresenceDevice;
  ifAbsent: boolean;
}

export interface DeviceRemoval {
  userId: string;
  connectionId: string;
  gatewayId: string;
}

/**
 * A batch of connection events as device writes, the last event of each socket winning (its
 * events come in order: opened, states, closed). Opened: the socket, in the background unless
 * already known; a state change: the socket in that state; closed: removed.
 */
export function planDeviceChanges(events: readonly ConnectionEventEnvelope[]): {
  writes: DeviceWrite[];
  removals: DeviceRemoval[];
  users: string[];
} {
  const last = new Map<string, ConnectionEventEnvelope>();
  for (const event of events) {
    last.delete(event.payload.connectionId);
    last.set(event.payload.connectionId, event);
  }
  const writes: DeviceWrite[] = [];
  const removals: DeviceRemoval[] = [];
  const users = new Set<string>();
  for (const event of last.values()) {
    const { userId, connectionId, gatewayId, at } = event.payload;
    users.add(userId);
    const since = Date.parse(at);
    switch (event.type) {
      case 'connection.opened':
        writes.push({
          userId,
          connectionId,
          device: { gatewayId, foreground: false, since },
          ifAbsent: true,
        });
        break;
      case 'connection.state-changed':
        writes.push({
          userId,
          connectionId,
          device: { gatewayId, foreground: event.payload.state === 'foreground', since },
          ifAbsent: false,
        });
        break;
      case 'connection.closed':
        removals.push({ userId, connectionId, gatewayId });
        break;
    }
  }
  return { writes, removals, users: [...users] };
}

/** A gateway as the live directory shows it: when its process started, or null if it is gone. */
export type GatewayLife = { startedAt: number } | null;

/**
 * Whether a user is online (a socket in the foreground on a gateway that still holds it), and
 * which sockets are stale: their gateway left the directory (died), or started after the socket
 * (restarted: the socket died with the old process). `cold`: no gateway presence knows looks
 * live, which is more likely a cold directory (session restarted) than every box dead: nothing is
 * stale then (as storage's fan-out decides).
 */
export function decideOnline(
  devices: ReadonlyMap<string, PresenceDevice>,
  gateways: ReadonlyMap<string, GatewayLife>,
  cold: boolean,
): { online: boolean; stale: string[] } {
  let online = false;
  const stale: string[] = [];
  for (const [connectionId, device] of devices) {
    const gateway = gateways.get(device.gatewayId) ?? null;
    const held = cold || (gateway !== null && device.since >= gateway.startedAt);
    if (!held) stale.push(connectionId);
    else if (device.foreground) online = true;
  }
  return { online, stale };
}
