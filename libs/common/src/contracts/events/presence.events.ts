import { z } from 'zod/v4';
import {
  conversationIdSchema,
  GROUP_MAX_MEMBERS,
  isoTimeSchema,
  userIdSchema,
  usernameSchema,
} from '@parley/protocol';
import { defineEvent } from '../envelope';

/** The most users one `users.active` record carries. */
export const MAX_ACTIVE_USERS_PER_EVENT = 1000;

/**
 * Users did something (sent, read, typed, opened a conversation, came to the foreground), each at
 * its `at`: their last seen moves there. A gateway gathers them (each user at most once per
 * PRESENCE_ACTIVITY_COALESCE_MS, with the latest time) and publishes what is due every
 * ACTIVITY_FLUSH_MS as one record: last seen only moves forward, so records need no order.
 */
export const UsersActiveV1 = defineEvent(
  'users.active',
  1,
  z
    .object({
      users: z
        .array(z.object({ userId: userIdSchema, at: isoTimeSchema }).strict())
        .min(1)
        .max(MAX_ACTIVE_USERS_PER_EVENT),
    })
    .strict(),
);

/**
 * A member is typing in a conversation (at most one per socket and conversation per
 * TYPING_MIN_INTERVAL_MS): presence routes it to the other members' sockets, or drops it if it is
 * already late. `recipientIds`: the conversation's other members, as the gateway's membership
 * check found them.
 */
export const TypingStartedV1 = defineEvent(
  'typing.started',
  1,
  z
    .object({
      conversationId: conversationIdSchema,
      userId: userIdSchema,
      username: usernameSchema,
      at: isoTimeSchema,
      recipientIds: z.array(userIdSchema).max(GROUP_MAX_MEMBERS),
    })
    .strict(),
);
