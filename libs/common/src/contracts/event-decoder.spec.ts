import { createEnvelope, type PayloadOf } from './envelope';
import { EventDecoder } from './event-decoder';
import { GatewayHeartbeatV1 } from './events/gateway.events';
import { MessageAcceptedV1 } from './events/message.events';
import { Topic } from './topics';
import { TOPIC_CONTRACTS } from './topic-contracts';

const accepted: PayloadOf<typeof MessageAcceptedV1> = {
  conversationId: '1763706000000-3f2a0c9d8e7b6a5f4e3d2c1b0a998877',
  // Not an RFC 9562 UUID (version 0, variant 0): any 8-4-4-4-12 hex id is accepted, as before.
  senderId: '0b6f3c52-8a41-0f0e-0b1c-6f1d2e3a4b5c',
  senderUsername: 'alice',
  clientMsgId: 'm-1',
  text: 'hi',
  acceptedAt: '2026-11-21T07:00:00.120Z',
  origin: {
    gatewayId: 'gateway-1',
    connectionId: 'AAAAAAAA-0000-0000-0000-000000000000',
    deviceId: 'd',
  },
};

function record(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

describe('EventDecoder', () => {
  const messages = new EventDecoder(TOPIC_CONTRACTS[Topic.MessagesAccepted]);

  it('decodes an envelope and its payload against the contract', () => {
    const envelope = createEnvelope(MessageAcceptedV1, accepted, 'gateway', 'req-1');
    expect(messages.decode(record(envelope))).toEqual({ ok: true, event: envelope });
  });

  it('refuses with a reason naming each bad field, never its value', () => {
    const envelope = createEnvelope(MessageAcceptedV1, accepted, 'gateway');
    const decoded = messages.decode(
      record({ ...envelope, payload: { ...accepted, text: 7, senderUsername: ['secret'] } }),
    );
    expect(decoded.ok).toBe(false);
    const reason = decoded.ok ? '' : decoded.reason;
    expect(reason).toMatch(/^invalid message\.accepted payload: senderUsername: [^;]+; text: /);
    expect(reason.match(/senderUsername/g)).toHaveLength(1);
    expect(reason).not.toContain('secret');
    expect(messages.decode(record({ ...envelope, version: 2 }))).toEqual({
      ok: false,
      reason: 'unknown event type message.accepted v2',
    });
    expect(messages.decode(record({ ...envelope, id: 'x' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid envelope: id: /),
    });
  });

  it("keeps a gateway's public URL as the gateway wrote it", () => {
    const beats = new EventDecoder(TOPIC_CONTRACTS[Topic.GatewayHeartbeats]);
    const payload = {
      gatewayId: 'gateway-1',
      publicUrl: 'wss://Chat.Example.ORG/ws',
      connections: 0,
      startedAt: '2026-11-21T07:00:00.120Z',
    };
    const decoded = beats.decode(record(createEnvelope(GatewayHeartbeatV1, payload, 'gateway')));
    expect(decoded).toMatchObject({ ok: true, event: { payload } });
    const https = { ...payload, publicUrl: 'https://chat.example.org/ws' };
    const refused = beats.decode(
      record({ ...createEnvelope(GatewayHeartbeatV1, payload, 'gateway'), payload: https }),
    );
    expect(refused).toMatchObject({ ok: false });
  });
});
