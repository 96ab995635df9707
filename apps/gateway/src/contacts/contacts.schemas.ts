import { z } from 'zod';
import { USERNAME_PATTERN } from '../accounts/auth.schemas';

export const userSearchQuerySchema = z
  .object({
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,32}$/, 'must be 1-32 characters of letters, digits and underscore'),
    /** Clamped to 50 by the service. */
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type UserSearchQuery = z.output<typeof userSearchQuerySchema>;

export const contactParamsSchema = z
  .object({ username: z.string().regex(USERNAME_PATTERN, 'must be a username') })
  .strict();
export type ContactParams = z.output<typeof contactParamsSchema>;
