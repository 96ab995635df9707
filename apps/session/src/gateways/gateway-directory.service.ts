import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';
import type { SessionConfig } from '../config/session.config';
import { Clock } from './clock';
import {
  GatewayDirectoryRepository,
  GatewayUpdate,
  LiveGateway,
} from './gateway-directory.repository';

export type GatewayHeartbeatEnvelope = TopicEvent<typeof Topic.GatewayHeartbeats>;

/**
 * Which gateways are up, and how loaded: built from their heartbeats, so a later issue can hand a
 * client the least-loaded gateway's URL.
 */
@Injectable()
export class GatewayDirectoryService {
  constructor(
    private readonly directory: GatewayDirectoryRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: Pick<SessionConfig, 'GATEWAY_TTL_MS'>,
  ) {}

  /** Records a batch of heartbeats; returns how many gateways it refreshed. */
  async recordHeartbeats(events: readonly GatewayHeartbeatEnvelope[]): Promise<number> {
    const updates = planGatewayUpdates(events, this.clock.now(), this.config.GATEWAY_TTL_MS);
    await this.directory.apply(updates);
    return updates.length;
  }

  liveGateways(): Promise<LiveGateway[]> {
    return this.directory.listByLoad();
  }
}

/**
 * The latest heartbeat per gateway, each kept alive until its own time + ttl. Heartbeats already
 * older than the ttl (a backlog replayed after session was down) are dropped: they prove nothing
 * about now. A gateway whose latest beat says it is leaving is removed.
 */
export function planGatewayUpdates(
  events: readonly GatewayHeartbeatEnvelope[],
  now: number,
  ttlMs: number,
): GatewayUpdate[] {
  const latest = new Map<string, GatewayHeartbeatEnvelope>();
  for (const event of events) {
    const known = latest.get(event.payload.gatewayId);
    if (!known || Date.parse(event.time) >= Date.parse(known.time)) {
      latest.set(event.payload.gatewayId, event);
    }
  }
  const updates: GatewayUpdate[] = [];
  for (const event of latest.values()) {
    if (event.payload.leaving) {
      updates.push({ leaving: true, gatewayId: event.payload.gatewayId });
      continue;
    }
    const sentAt = Math.min(Date.parse(event.time), now);
    const remaining = sentAt + ttlMs - now;
    if (remaining <= 0) continue;
    updates.push({
      leaving: false,
      ttlMs: remaining,
      gateway: {
        gatewayId: event.payload.gatewayId,
        publicUrl: event.payload.publicUrl,
        connections: event.payload.connections,
        startedAt: event.payload.startedAt,
        lastHeartbeatAt: new Date(sentAt).toISOString(),
      },
    });
  }
  return updates;
}
