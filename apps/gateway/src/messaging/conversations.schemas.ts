import { conversationIdSchema, seqSchema } from '@parley/common';
import { z } from 'zod';
import { USERNAME_PATTERN } from '../accounts/auth.schemas';

export const conversationParamsSchema = z.object({ id: conversationIdSchema }).strict();

export const createConversationSchema = z
  .object({ with: z.string().regex(USERNAME_PATTERN, 'must be a username') })
  .strict();
export type CreateConversationInput = z.output<typeof createConversationSchema>;

/** `limit` above the hard cap is clamped by the service, not refused. */
export const historyQuerySchema = z
  .object({
    beforeSeq: z.coerce.number().pipe(seqSchema).optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type HistoryQuery = z.output<typeof historyQuerySchema>;

export const readCursorSchema = z.object({ seq: seqSchema }).strict();
export type ReadCursorInput = z.output<typeof readCursorSchema>;
