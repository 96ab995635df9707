import { AccountRegisteredV1, MessageAcceptedV1, PayloadOf, Topic } from '@parley/common';
import type { Kafka, ProducerBatch } from 'kafkajs';
import { ZodError } from 'zod/v4';
import { EventPublisher } from './event.publisher';

/** A stand-in for kafkajs's producer: keeps every batch it was asked to send. */
function publisherWithFakeProducer() {
  const sent: ProducerBatch[] = [];
  const producer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    sendBatch: (batch: ProducerBatch) => {
      sent.push(batch);
      return Promise.resolve([]);
    },
  };
  const kafka = { producer: () => producer } as unknown as Kafka;
  const publisher = new EventPublisher(kafka, {
    clientId: 'gateway-test',
    brokers: ['127.0.0.1:1'],
    lingerMs: 0,
  });
  const values = () =>
    sent.flatMap((b) =>
      (b.topicMessages ?? []).flatMap((t) =>
        t.messages.map((m) => JSON.parse(String(m.value)) as { payload: unknown }),
      ),
    );
  return { publisher, values };
}

const send: PayloadOf<typeof MessageAcceptedV1> = {
  conversationId: '1763900000000-0123456789abcdef0123456789abcdef',
  senderId: '0b6f7c1e-0000-4000-8000-000000000001',
  senderUsername: 'alice',
  clientMsgId: 'c-1',
  text: 'hello',
  acceptedAt: '2026-11-27T08:00:00.000Z',
  origin: {
    gatewayId: 'gateway-1',
    connectionId: '0b6f7c1e-0000-4000-8000-0000000000c1',
    deviceId: 'device-1',
  },
};

describe('EventPublisher: the payload against its contract', () => {
  it('refuses a payload that does not fit its contract, and sends nothing', async () => {
    const { publisher, values } = publisherWithFakeProducer();
    const bad = { ...send, clientMsgId: 'has spaces' };
    await expect(
      publisher.publish(Topic.MessagesAccepted, bad.conversationId, MessageAcceptedV1, bad),
    ).rejects.toBeInstanceOf(ZodError);
    expect(values()).toEqual([]);
  });

  it('sends a fitting payload as its contract reads it', async () => {
    const { publisher, values } = publisherWithFakeProducer();
    await publisher.publish(Topic.MessagesAccepted, send.conversationId, MessageAcceptedV1, send);
    expect(values()).toEqual([expect.objectContaining({ payload: send })]);
  });

  it('prevalidated: sends the payload as given, without the check (the consumer still runs it)', async () => {
    const { publisher, values } = publisherWithFakeProducer();
    const unchecked = { ...send, clientMsgId: 'has spaces' };
    await publisher.publish(
      Topic.MessagesAccepted,
      unchecked.conversationId,
      MessageAcceptedV1,
      unchecked,
      { prevalidated: true },
    );
    expect(values()).toEqual([expect.objectContaining({ payload: unchecked })]);
    expect(MessageAcceptedV1.payload.safeParse(unchecked).success).toBe(false);
  });

  it('refuses a contract its topic does not carry, prevalidated or not', async () => {
    const { publisher, values } = publisherWithFakeProducer();
    const registered: PayloadOf<typeof AccountRegisteredV1> = {
      userId: send.senderId,
      username: 'alice',
    };
    await expect(
      publisher.publish(
        Topic.MessagesAccepted,
        'k',
        AccountRegisteredV1 as never,
        registered as never,
        { prevalidated: true },
      ),
    ).rejects.toThrow(/is not carried by topic/);
    expect(values()).toEqual([]);
  });
});
