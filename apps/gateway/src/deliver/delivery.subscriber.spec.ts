import type { DeliveryBatch } from '@parley/common';
import { MessageAcceptService } from '../accept/message-accept.service';
import { PendingAcks } from '../accept/pending-acks';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import { ChannelSubscriptions } from '../conversations/channel-subscriptions';
import type { ConversationsReadModel } from '../read-model/conversations.read-model';
import type { ClientConnection } from '../realtime/client-connection';
import { OrderedDelivery } from './ordered-delivery';
import { KnownSeqCache } from '../receipts/known-seq.cache';
import { ReceiptsService } from '../receipts/receipts.service';
import { DeliverySubscriber } from './delivery.subscriber';

const message = {
  conversationId: '1763900000123-0123456789abcdef0123456789abcdef',
  seq: 7,
  senderId: '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c',
  senderUsername: 'alice_1',
  clientMsgId: 'm-7',
  text: 'hello',
  serverTime: '2026-11-21T06:30:00.000Z',
};
const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const SENDER = '33333333-3333-4333-8333-333333333333';

/** A socket stand-in recording every frame it is sent (object or pre-serialised text). */
function fakeConnection(sent: unknown[]): ClientConnection {
  return {
    send: (f: unknown) => sent.push(f),
    sendText: (t: string) => sent.push(JSON.parse(t)),
    // A socket that did not declare sync v2: pushes pass in arrival order.
    delivery: new OrderedDelivery(10, false),
  } as unknown as ClientConnection;
}

describe('delivery', () => {
  let knownSeqs: KnownSeqCache;
  let unacked: PendingAcks;
  let lifecycle: ConnectionLifecycle;
  let channels: ChannelSubscriptions;
  /** The channels each user is in, as the read model would answer on a socket's admission. */
  let channelsOfUser: Map<string, string[]>;
  beforeEach(() => {
    knownSeqs = new KnownSeqCache();
    lifecycle = new ConnectionLifecycle();
    channelsOfUser = new Map();
    const readModel = {
      channelsOf: (userId: string) => Promise.resolve(channelsOfUser.get(userId) ?? []),
    } as unknown as ConversationsReadModel;
    channels = new ChannelSubscriptions(readModel, lifecycle);
    unacked = new PendingAcks({
      GATEWAY_MAX_UNACKED_SENDS: 10,
      GATEWAY_MAX_UNACKED_PER_CONNECTION: 10,
    });
  });

  /** gateway-1's subscriber over `registry` (no Redis: the tests call `deliver` directly). */
  const subscriberOn = (registry: ConnectionRegistry<ClientConnection>) =>
    new DeliverySubscriber(
      {} as never,
      registry,
      { GATEWAY_ID: 'gateway-1', PARLEY_CLUSTER_ID: 'test' },
      // The real steps' services, over these caches (no Kafka or database is reached).
      new ReceiptsService({} as never, {} as never, knownSeqs, {} as never, {
        KAFKA_PUBLISH_TIMEOUT_MS: 1000,
      }),
      new MessageAcceptService(
        {} as never,
        {} as never,
        { MESSAGE_MAX_LENGTH: 10 },
        unacked,
        {} as never,
        {} as never,
        new ConnectionLifecycle(),
      ),
      channels,
    );

  const batch: DeliveryBatch = {
    version: 1,
    items: [{ message, connectionIds: [C1, C2], ackConnectionId: SENDER }],
  };

  it('after a subscription came back, tells every open socket here its pushes may be lost', () => {
    const registry = new ConnectionRegistry<ClientConnection>();
    const open = { isOpen: true, pushesLost: jest.fn() };
    const closed = { isOpen: false, pushesLost: jest.fn() };
    registry.add(C1, open as unknown as ClientConnection);
    registry.add(C2, closed as unknown as ClientConnection);
    subscriberOn(registry).resubscribed();
    expect(open.pushesLost).toHaveBeenCalledTimes(1);
    expect(closed.pushesLost).not.toHaveBeenCalled();
  });

  it('after both subscriptions dropped, tells the sockets once, when the second is back', () => {
    const registry = new ConnectionRegistry<ClientConnection>();
    const open = { isOpen: true, pushesLost: jest.fn() };
    registry.add(C1, open as unknown as ClientConnection);
    const subscriber = subscriberOn(registry);
    subscriber.lost('box');
    subscriber.lost('channels');
    subscriber.subscribedAgain('channels');
    expect(open.pushesLost).not.toHaveBeenCalled();
    subscriber.subscribedAgain('box');
    expect(open.pushesLost).toHaveBeenCalledTimes(1);
    // One that drops alone is told about alone.
    subscriber.lost('box');
    subscriber.subscribedAgain('box');
    expect(open.pushesLost).toHaveBeenCalledTimes(2);
  });

  it('sends a message per recipient socket and an ack to the sender socket', () => {
    const registry = new ConnectionRegistry<ClientConnection>();
    const byConnection = new Map<string, unknown[]>();
    for (const id of [C1, C2, SENDER]) {
      byConnection.set(id, []);
      registry.add(id, fakeConnection(byConnection.get(id)!));
    }
    const subscriber = subscriberOn(registry);
    unacked.admit(SENDER, message.clientMsgId);
    subscriber.deliver(JSON.stringify(batch));
    expect(unacked.count).toBe(0); // the ack released the sender's pending send
    expect(byConnection.get(C1)).toEqual([{ type: 'message', message }]);
    // The delivered seq is now known, so a receipt for it needs no database look-up.
    expect(knownSeqs.covers(message.conversationId, message.seq)).toBe(true);
    expect(knownSeqs.covers(message.conversationId, message.seq + 1)).toBe(false);
    expect(byConnection.get(C2)).toEqual([{ type: 'message', message }]);
    expect(byConnection.get(SENDER)).toEqual([
      {
        type: 'ack',
        clientMsgId: 'm-7',
        conversationId: message.conversationId,
        seq: 7,
        serverTime: message.serverTime,
      },
    ]);
  });

  it('sends to sockets on this box only, and drops invalid payloads without throwing', () => {
    const registry = new ConnectionRegistry<ClientConnection>();
    const sent: unknown[] = [];
    registry.add(C1, fakeConnection(sent));
    const subscriber = subscriberOn(registry);
    subscriber.deliver(JSON.stringify(batch));
    expect(sent).toEqual([{ type: 'message', message }]);
    expect(() => subscriber.deliver('not json')).not.toThrow();
    expect(() => subscriber.deliver(JSON.stringify({ version: 2, items: [] }))).not.toThrow();
    expect(sent).toHaveLength(1);
  });

  it("pushes a channel's message to this box's subscribed sockets but its origin, and follows joins and leaves", async () => {
    const registry = new ConnectionRegistry<ClientConnection>();
    const sent = new Map<string, unknown[]>();
    const users = new Map([
      [C1, 'u1'],
      [C2, 'u2'],
      [SENDER, 'admin'],
    ]);
    channelsOfUser.set('u1', [message.conversationId]);
    channelsOfUser.set('admin', [message.conversationId]);
    for (const [id, userId] of users) {
      sent.set(id, []);
      registry.add(id, fakeConnection(sent.get(id)!));
      lifecycle.opened(id, userId);
    }
    await Promise.all([...users.keys()].map((id) => channels.ready(id)));
    const subscriber = subscriberOn(registry);
    const post: DeliveryBatch = {
      version: 1,
      items: [{ message, connectionIds: [], channel: true, originConnectionId: SENDER }],
    };
    subscriber.deliver(JSON.stringify(post));
    expect(sent.get(C1)).toEqual([{ type: 'message', message }]);
    expect(sent.get(C2)).toEqual([]); // not a member
    expect(sent.get(SENDER)).toEqual([]); // its ack comes on its own box's batch

    channels.changed(message.conversationId, ['u2'], ['u1']);
    const next = { ...message, seq: 8, clientMsgId: 'm-8' };
    subscriber.deliver(
      JSON.stringify({ version: 1, items: [{ message: next, connectionIds: [], channel: true }] }),
    );
    expect(sent.get(C1)).toEqual([{ type: 'message', message }]);
    expect(sent.get(C2)).toEqual([{ type: 'message', message: next }]);

    lifecycle.closed(C2);
    expect(channels.subscribers(message.conversationId).has(C2)).toBe(false);
  });

  it("answers a channel's silent membership change with an ack carrying no message", () => {
    const registry = new ConnectionRegistry<ClientConnection>();
    const sent: unknown[] = [];
    registry.add(SENDER, fakeConnection(sent));
    unacked.admit(SENDER, 'join-1');
    const ack = {
      clientMsgId: 'join-1',
      conversationId: message.conversationId,
      seq: 7,
      serverTime: message.serverTime,
    };
    subscriberOn(registry).deliver(
      JSON.stringify({ version: 1, items: [], acks: [{ connectionId: SENDER, ...ack }] }),
    );
    expect(sent).toEqual([{ type: 'ack', ...ack }]);
    expect(unacked.count).toBe(0);
  });
});
