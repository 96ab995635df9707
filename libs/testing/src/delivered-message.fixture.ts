import type { DeliveredMessage, MessageImage } from '@parley/protocol';

/** Fixed ids for client-side unit tests: a conversation, the viewing user and a partner. */
export const FIXTURE_CONVERSATION = '1763700000000-0123456789abcdef0123456789abcdef';
export const FIXTURE_ME = '00000000-0000-4000-8000-000000000001';
export const FIXTURE_BOB = '00000000-0000-4000-8000-000000000002';

/** Bob's message `seq` in FIXTURE_CONVERSATION (text `m<seq>`, one second per seq). */
export const deliveredMessage = (
  seq: number,
  over: Partial<DeliveredMessage> = {},
): DeliveredMessage => ({
  conversationId: FIXTURE_CONVERSATION,
  seq,
  senderId: FIXTURE_BOB,
  senderUsername: 'bob',
  clientMsgId: `c${seq}`,
  text: `m${seq}`,
  serverTime: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
  ...over,
});

/** An image as the upload answers it and messages carry it. */
export const FIXTURE_IMAGE: MessageImage = {
  id: '7d0c9b1e-2f3a-4b5c-8d6e-9f0a1b2c3d4e',
  width: 1200,
  height: 800,
  bytes: 18341,
  type: 'image/webp',
  placeholder: 'data:image/webp;base64,UklGRl4AAABXRUJQ',
};
