import { z } from 'zod/v4';
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

/** The most cursor moves one `cursors.moved` record carries (each list). */
export const MAX_CURSOR_MOVES_PER_EVENT = 1000;

/**
 * Cursor moves a gateway gathered over a short window (CURSOR_FLUSH_MS), one record instead of one
 * per move: each cursor at most once (its highest seq), delivered per device, read per member.
 * Cursors only move forward (storage keeps the highest), so moves of different conversations may
 * share a record and their order across records does not matter; the key spreads records over the
 * partitions. Gateways publish only this; `cursor.delivered` / `cursor.read` are still read.
 */
export const CursorsMovedV1 = defineEvent(
  'cursors.moved',
  1,
  z
    .object({
      delivered: z
        .array(
          z
            .object({
              conversationId: conversationIdSchema,
              userId: userIdSchema,
              deviceId: deviceIdSchema,
              seq: seqSchema,
            })
            .strict(),
        )
        .max(MAX_CURSOR_MOVES_PER_EVENT),
      read: z
        .array(
          z
            .object({ conversationId: conversationIdSchema, userId: userIdSchema, seq: seqSchema })
            .strict(),
        )
        .max(MAX_CURSOR_MOVES_PER_EVENT),
    })
    .strict()
    .refine((p) => p.delivered.length + p.read.length > 0, 'names no cursor'),
);

export const CURSOR_EVENTS = [CursorDeliveredV1, CursorReadV1, CursorsMovedV1] as const;
