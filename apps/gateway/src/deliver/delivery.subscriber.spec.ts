import type { DeliveryBatch } from '@parley/common';
import { MessageAcceptService } from '../accept/message-accept.service';
import { PendingAcks } from '../accept/pending-acks';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConnectionRegistry } from '../connections/connection-registry.service';
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
  beforeEach(() => {
    knownSeqs = new KnownSeqCache();
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
        new ConnectionLifecycle(),
      ),
    );

  const batch: DeliveryBatch = {
    version: 1,
    items: [{ message, connectionIds: [C1, C2], ackConnectionId: SENDER }],
  };

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
});
