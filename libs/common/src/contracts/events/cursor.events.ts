import { z } from 'zod';
import { defineEvent } from '../envelope';
import {
  conversationIdSchema,
  deviceIdSchema,
  isoTimeSchema,
  seqSchema,
  userIdSchema,
} from '@parley/protocol';

/** A device confirmed it holds a conversation's messages up to `seq` (moves its delivered cursor). */
export const CursorDeliveredV1 = defineEvent(
  'cursor.delivered',
  1,
  z
    .object({
      conversationId: conversationIdSchema,
      userId: userIdSchema,
      deviceId: deviceIdSchema,
      seq: seqSchema,
      at: isoTimeSchema,
    })
    .strict(),
);

/** A member read a conversation up to `seq` (moves the member's read cursor; unread counts). */
export const CursorReadV1 = defineEvent(
  'cursor.read',
  1,
  z
    .object({
      conversationId: conversationIdSchema,
      userId: userIdSchema,
      seq: seqSchema,
      at: isoTimeSchema,
    })
    .strict(),
);

export const CURSOR_EVENTS = [CursorDeliveredV1, CursorReadV1] as const;
