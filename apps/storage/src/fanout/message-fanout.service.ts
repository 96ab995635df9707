import { Injectable } from '@nestjs/common';
import {
  DeliveryRouter,
  type DeliveryBatch,
  observeHop,
  ROUTES_USERS_PER_CALL,
  type Routes,
} from '@parley/common';
import {
  type ChannelMembersChange,
  isNoted,
  isStored,
  type PersistOutcome,
  type StoredMessage,
} from '../messages/message-persist.plan';
import { DeliveryPublisher } from './delivery.publisher';
import { fanoutRoutes } from './fanout.metrics';
import { planChannelDeliveries, planDeliveries } from './message-fanout.plan';
import { RouteMemory } from './route-memory';

export interface FanoutResult {
  gateways: number;
  items: number;
  staleConnections: number;
}

/**
 * Fan-out, right after the persist step's commit and before its offsets commit: the committed
 * messages become ONE DeliveryBatch per gateway box holding a recipient's socket (or the sender's,
 * for the ack), published on that box's Redis channel. One look-up round trip per group commit
 * (the members' sockets, and whether the gateways seen before are still live), one pipelined
 * publish. A channel's messages are not routed member by member: they go in ONE batch to every
 * box (planChannelDeliveries), which pushes them to its sockets subscribed to the channel. When
 * every recipient was looked up before (RouteMemory), the batches are planned with those routes
 * and published in the same call that checks them: one round trip instead of two, and the look-up
 * and a second publish only when a route moved. Calls run one after another in the order they
 * were made (the commit order), so every box gets one conversation's messages in seq order even
 * while the next transaction runs.
 */
@Injectable()
export class MessageFanoutService {
  /** The fan-out in flight; the next one starts when it settles. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly memory = new RouteMemory();

  constructor(
    private readonly router: DeliveryRouter,
    private readonly deliveries: DeliveryPublisher,
  ) {}

  /** Resolves once every box's delivery batch holding these messages is published. */
  fanOut(messages: readonly PersistOutcome[]): Promise<FanoutResult> {
    const run = this.tail.then(() => this.fanOutNow(messages));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async fanOutNow(outcomes: readonly PersistOutcome[]): Promise<FanoutResult> {
    if (outcomes.length === 0) return { gateways: 0, items: 0, staleConnections: 0 };
    const stored = outcomes.filter(isStored);
    // A channel's message is not routed (planChannelDeliveries).
    const recipients = [...new Set(stored.flatMap((m) => (m.channel ? [] : m.memberIds)))];
    const changed = [
      ...new Set(stored.filter((m) => m.membersChanged).map((m) => m.conversationId)),
    ];
    const channelChanges: ChannelMembersChange[] = [];
    for (const m of outcomes) {
      if (isNoted(m)) channelChanges.push(m.noted);
      else if (isStored(m) && m.channelChanges && !m.duplicate)
        channelChanges.push(m.channelChanges);
    }
    const others = { channels: planChannelDeliveries(outcomes), channelChanges };
    // A checked publish is one script call: no more users in it than in one look-up call.
    const recalled =
      recipients.length <= ROUTES_USERS_PER_CALL ? this.memory.recall(recipients) : null;
    if (recalled) {
      const batches = planDeliveries(outcomes, recalled.routable);
      if (await this.deliveries.publish(batches, changed, others, recalled.check)) {
        fanoutRoutes().inc({ routes: 'remembered' });
        return published(stored, batches, 0);
      }
      // A route moved: everything but the boxes' batches went. Those again, looked up.
      fanoutRoutes().inc({ routes: 'moved' });
      const routes = await this.lookUp(recipients);
      const rerouted = planDeliveries(outcomes, routes.routable);
      await this.deliveries.publish(rerouted);
      return published(stored, rerouted, routes.staleConnections);
    }
    fanoutRoutes().inc({ routes: 'looked-up' });
    const routes = await this.lookUp(recipients);
    const batches = planDeliveries(outcomes, routes.routable);
    await this.deliveries.publish(batches, changed, others);
    return published(stored, batches, routes.staleConnections);
  }

  private async lookUp(recipients: readonly string[]): Promise<Routes> {
    const routes = await this.router.route(recipients);
    this.memory.learn(routes);
    return routes;
  }
}

/** The fan-out's figures, once its batches are published. */
function published(
  stored: readonly StoredMessage[],
  batches: ReadonlyMap<string, DeliveryBatch>,
  staleConnections: number,
): FanoutResult {
  const publishedAt = Date.now();
  for (const m of stored) observeHop('fanout_published', m.acceptedAt, publishedAt);
  let items = 0;
  for (const batch of batches.values()) items += batch.items.length;
  return { gateways: batches.size, items, staleConnections };
}
