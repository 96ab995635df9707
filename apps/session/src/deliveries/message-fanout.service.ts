import { Injectable } from '@nestjs/common';
import { DeliveryBatch, MessageStoredV1, observeHop, PayloadOf, Topic } from '@parley/common';
import { DeliveredMessage } from '@parley/protocol';
import { GroupCommitQueue, type GroupMember, type TopicEvent } from '@parley/kafka';
import { DeliveryPublisher } from './delivery.publisher';
import {
  ConnectionRef,
  DeviceConnection,
  DeviceLocationsRepository,
} from './device-locations.repository';

export type MessageStoredEnvelope = TopicEvent<typeof Topic.MessagesStored>;
export type MessageStoredPayload = PayloadOf<typeof MessageStoredV1>;

export interface FanoutResult {
  gateways: number;
  items: number;
  staleConnections: number;
}

/** The most stored events one fan-out takes (the partition batches of a fetch, gathered). */
const MAX_GROUP_EVENTS = 2000;
/** Gateway ids remembered to ask about with the locations (a cluster has a handful). */
const MAX_KNOWN_GATEWAYS = 256;

/**
 * Fan-out: stored messages become ONE DeliveryBatch per gateway box holding a recipient's socket
 * (or the sender's, for the ack), published on that box's Redis channel. The partition batches
 * of one fetch go together (`GroupCommitQueue`): one look-up round trip (locations, and whether
 * the gateways seen before are still live), one publish per box, not three round trips and a
 * publish per box for every partition. Per conversation the order holds: a partition's batches
 * come one after another, and a group keeps the order they were handed over in.
 */
@Injectable()
export class MessageFanoutService {
  private readonly queue = new GroupCommitQueue<MessageStoredEnvelope, FanoutResult>(
    (group) => this.fanOutGroup(group),
    MAX_GROUP_EVENTS,
  );
  private readonly knownGateways = new Set<string>();

  constructor(
    private readonly locations: DeviceLocationsRepository,
    private readonly deliveries: DeliveryPublisher,
  ) {}

  /** Resolves once every box's delivery batch holding these events is published. */
  fanOut(events: readonly MessageStoredEnvelope[]): Promise<FanoutResult> {
    if (events.length === 0) return Promise.resolve({ gateways: 0, items: 0, staleConnections: 0 });
    return this.queue.submit(events);
  }

  private async fanOutGroup(
    group: readonly GroupMember<MessageStoredEnvelope, FanoutResult>[],
  ): Promise<void> {
    const result = await this.fanOutNow(group.flatMap((g) => g.events));
    for (const g of group) g.resolve(result);
  }

  private async fanOutNow(events: readonly MessageStoredEnvelope[]): Promise<FanoutResult> {
    const messages = events.map((e) => e.payload);
    const fetchedAt = Date.now();
    for (const m of messages) observeHop('session_fetched', m.acceptedAt, fetchedAt);
    const recipients = [...new Set(messages.flatMap((m) => m.memberIds))];
    const { connections: located, live } = await this.locations.findConnectionsAndLive(recipients, [
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
    const batches = planDeliveries(messages, routable);
    await this.deliveries.publish(batches);
    const publishedAt = Date.now();
    for (const m of messages) observeHop('fanout_published', m.acceptedAt, publishedAt);
    let items = 0;
    for (const batch of batches.values()) items += batch.items.length;
    return { gateways: batches.size, items, staleConnections: stale.length };
  }

  private remember(gatewayId: string): void {
    if (this.knownGateways.size >= MAX_KNOWN_GATEWAYS) this.knownGateways.clear();
    this.knownGateways.add(gatewayId);
  }
}

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

export function toDeliveredMessage(m: MessageStoredPayload): DeliveredMessage {
  return {
    conversationId: m.conversationId,
    seq: m.seq,
    senderId: m.senderId,
    senderUsername: m.senderUsername,
    clientMsgId: m.clientMsgId,
    text: m.text,
    serverTime: m.serverTime,
  };
}

/**
 * One DeliveryBatch per gateway box, items in stored order. A message goes to every member socket
 * as `connectionIds` except the origin socket, which gets `ackConnectionId` (the sender's other
 * devices get it as a message). A duplicate (a retried send, or a batch storage replays after
 * dying between its commit and its publish) goes to every member too: after such a crash it is
 * the only push recipients ever get, and a device ignores a seq it already holds (the gateway
 * drops it for sockets that were sent it). Within one batch each (conversation, seq) is pushed
 * once; a repeat only acks its origin.
 */
export function planDeliveries(
  messages: readonly MessageStoredPayload[],
  connectionsByUser: ReadonlyMap<string, readonly DeviceConnection[]>,
): Map<string, DeliveryBatch> {
  const batches = new Map<string, DeliveryBatch>();
  const pushed = new Set<string>();
  for (const m of messages) {
    const key = `${m.conversationId}\u0000${m.seq}`;
    const push = !pushed.has(key);
    pushed.add(key);
    const perGateway = new Map<string, { connectionIds: Set<string>; ack?: string }>();
    const slot = (gatewayId: string) => {
      let s = perGateway.get(gatewayId);
      if (!s) perGateway.set(gatewayId, (s = { connectionIds: new Set() }));
      return s;
    };
    slot(m.origin.gatewayId).ack = m.origin.connectionId;
    if (push) {
      for (const userId of new Set(m.memberIds)) {
        for (const c of connectionsByUser.get(userId) ?? []) {
          if (c.connectionId !== m.origin.connectionId)
            slot(c.gatewayId).connectionIds.add(c.connectionId);
        }
      }
    }
    const message = toDeliveredMessage(m);
    for (const [gatewayId, s] of perGateway) {
      let batch = batches.get(gatewayId);
      if (!batch) batches.set(gatewayId, (batch = { version: 1, items: [] }));
      batch.items.push({
        message,
        connectionIds: [...s.connectionIds],
        ...(s.ack ? { ackConnectionId: s.ack } : {}),
        ...(m.acceptedAt ? { acceptedAt: m.acceptedAt } : {}),
      });
    }
  }
  return batches;
}
