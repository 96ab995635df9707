import { Injectable } from '@nestjs/common';
import { ConnectionRef, DeviceConnection, DeviceLocationsRepository, Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';

export type ConnectionEventEnvelope = TopicEvent<typeof Topic.Connections>;

export interface ConnectionChanges {
  opened: DeviceConnection[];
  closed: ConnectionRef[];
}

/** Where each user's devices are connected, kept from connection.opened / connection.closed. */
@Injectable()
export class DeviceLocationsService {
  constructor(private readonly locations: DeviceLocationsRepository) {}

  async recordConnectionEvents(
    events: readonly ConnectionEventEnvelope[],
  ): Promise<ConnectionChanges> {
    const changes = planConnectionChanges(events);
    await this.locations.apply(changes.opened, changes.closed);
    return changes;
  }
}

/**
 * The final state per connection after a batch, in offset order: the last event for a socket wins
 * (opened then closed in one batch = removed). Re-applying the same batch gives the same state.
 */
export function planConnectionChanges(
  events: readonly ConnectionEventEnvelope[],
): ConnectionChanges {
  const last = new Map<string, ConnectionEventEnvelope>();
  for (const event of events) {
    // A device moving to the foreground or background changes nothing of where it is.
    if (event.type === 'connection.state-changed') continue;
    last.delete(event.payload.connectionId);
    last.set(event.payload.connectionId, event);
  }
  const changes: ConnectionChanges = { opened: [], closed: [] };
  for (const event of last.values()) {
    const { userId, connectionId, deviceId, gatewayId, at } = event.payload;
    if (event.type === 'connection.opened') {
      changes.opened.push({ userId, connectionId, deviceId, gatewayId, since: at });
    } else {
      changes.closed.push({ userId, connectionId });
    }
  }
  return changes;
}
