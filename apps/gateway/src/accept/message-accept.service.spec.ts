import { ErrorCode, type MessageImage, type SendFrame } from '@parley/protocol';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import type { ConversationsService } from '../conversations/conversations.service';
import type { MessageAcceptedPublisher } from './message-accepted.publisher';
import { MessagingException } from '../errors/messaging.exception';
import { MessageAcceptService, SocketActor } from './message-accept.service';
import type { ImagesReadModel } from '../read-model/images.read-model';
import type { SendRateLimiter } from '../throttling/send-rate.limiter';
import { PendingAcks } from './pending-acks';

const CONVERSATION = '1763900000123-0123456789abcdef0123456789abcdef';
const actor: SocketActor = {
  userId: '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c',
  username: 'alice_1',
  deviceId: 'laptop',
  connectionId: '11111111-1111-4111-8111-111111111111',
  gatewayId: 'gateway-1',
};

const IMAGE: MessageImage = {
  id: '7d0c9b1e-2f3a-4b5c-8d6e-9f0a1b2c3d4e',
  width: 1280,
  height: 960,
  bytes: 180_000,
  type: 'image/webp',
  placeholder: 'data:image/webp;base64,UklGRg==',
};

function setup(
  member = true,
  budget: { allowed: boolean; retryAfterMs?: number } = { allowed: true },
) {
  const conversations = {
    requirePoster: jest.fn(() =>
      member ? Promise.resolve([actor.userId]) : Promise.reject(MessagingException.forbidden()),
    ),
    findOrCreateDirect: jest.fn(() =>
      Promise.resolve({ conversationId: CONVERSATION, peerId: 'p' }),
    ),
  };
  const events = { accepted: jest.fn(() => Promise.resolve()) };
  // Alice's one upload: IMAGE.
  const images = {
    uploadedBy: jest.fn((uploaderId: string, imageId: string) =>
      Promise.resolve(uploaderId === actor.userId && imageId === IMAGE.id ? IMAGE : undefined),
    ),
  };
  const service = new MessageAcceptService(
    conversations as unknown as ConversationsService,
    events as unknown as MessageAcceptedPublisher,
    { MESSAGE_MAX_LENGTH: 5 },
    new PendingAcks({ GATEWAY_MAX_UNACKED_SENDS: 100, GATEWAY_MAX_UNACKED_PER_CONNECTION: 100 }),
    { admit: jest.fn(() => Promise.resolve(budget)) } as unknown as SendRateLimiter,
    images as unknown as ImagesReadModel,
    new ConnectionLifecycle(),
  );
  return { service, conversations, events, images };
}

const frame = (over: Partial<SendFrame>): SendFrame => ({
  type: 'send',
  clientMsgId: 'm-1',
  text: 'hi',
  ...over,
});

describe('MessageAcceptService.accept', () => {
  it('publishes with the socket user as sender, keyed by the conversation', async () => {
    const { service, events } = setup();
    await expect(service.accept(actor, frame({ conversationId: CONVERSATION }))).resolves.toEqual({
      clientMsgId: 'm-1',
      conversationId: CONVERSATION,
    });
    expect(events.accepted).toHaveBeenCalledWith(
      expect.objectContaining({
        conversationId: CONVERSATION,
        senderId: actor.userId,
        senderUsername: actor.username,
        clientMsgId: 'm-1',
        text: 'hi',
        origin: { gatewayId: 'gateway-1', connectionId: actor.connectionId, deviceId: 'laptop' },
      }),
      actor.connectionId,
    );
  });

  it('resolves `to` through find-or-create', async () => {
    const { service, conversations } = setup();
    await service.accept(actor, frame({ to: 'bob_1' }));
    expect(conversations.findOrCreateDirect).toHaveBeenCalledWith(actor.userId, 'bob_1');
  });

  it('publishes nothing for a non-member', async () => {
    const { service, events } = setup(false);
    await expect(
      service.accept(actor, frame({ conversationId: CONVERSATION })),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    expect(events.accepted).not.toHaveBeenCalled();
  });

  it('publishes nothing for empty or over-long text, before any lookup', async () => {
    const { service, events, conversations } = setup();
    for (const text of ['', '   ', '123456']) {
      await expect(
        service.accept(actor, frame({ conversationId: CONVERSATION, text })),
      ).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    }
    expect(conversations.requirePoster).not.toHaveBeenCalled();
    expect(events.accepted).not.toHaveBeenCalled();
  });

  it('publishes nothing over the send budget, and says when to retry', async () => {
    const { service, events, conversations } = setup(true, { allowed: false, retryAfterMs: 1500 });
    await expect(
      service.accept(actor, frame({ conversationId: CONVERSATION })),
    ).rejects.toMatchObject({ code: ErrorCode.RateLimited, details: { retryAfterMs: 1500 } });
    expect(conversations.requirePoster).not.toHaveBeenCalled();
    expect(events.accepted).not.toHaveBeenCalled();
  });

  it("carries the sender's own upload, as messages carry it, with or without a caption", async () => {
    const { service, events, images } = setup();
    for (const text of ['', 'view']) {
      await service.accept(
        actor,
        frame({ conversationId: CONVERSATION, text, image: { id: IMAGE.id } }),
      );
      expect(events.accepted).toHaveBeenLastCalledWith(
        expect.objectContaining({ text, image: IMAGE }),
        actor.connectionId,
      );
    }
    expect(images.uploadedBy).toHaveBeenCalledWith(actor.userId, IMAGE.id);
    // A blank caption is refused like a blank message.
    await expect(
      service.accept(
        actor,
        frame({ conversationId: CONVERSATION, text: ' ', image: { id: IMAGE.id } }),
      ),
    ).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });

  it("refuses an image that is not the sender's upload, publishing nothing", async () => {
    const { service, events } = setup();
    const other = { id: '00000000-0000-4000-8000-000000000001' };
    await expect(
      service.accept(actor, frame({ conversationId: CONVERSATION, image: other })),
    ).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
      details: { fields: [{ field: 'image' }] },
    });
    expect(events.accepted).not.toHaveBeenCalled();
  });
});
