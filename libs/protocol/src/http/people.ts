import { z } from 'zod/v4';
import { USERNAME_PATTERN, userIdSchema } from '../ids';
import { PRESENCE_WATCH_MAX, userPresenceSchema } from '../presence';

/** `GET /v1/users?prefix=&limit=` (limit clamped to 50 by the server). */
export const userSearchQuerySchema = z
  .object({
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,32}$/, 'must be 1-32 characters of letters, digits and underscore'),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type UserSearchQuery = z.output<typeof userSearchQuerySchema>;

/** What other users may see of an account. */
export const userSummarySchema = z.object({
  id: userIdSchema,
  username: z.string(),
  realName: z.string(),
});
export type UserSummary = z.output<typeof userSummarySchema>;

export const usersAnswerSchema = z.object({ users: z.array(userSummarySchema) });
export type UsersAnswer = z.output<typeof usersAnswerSchema>;

/** `/v1/contacts/:username` */
export const contactParamsSchema = z
  .object({ username: z.string().regex(USERNAME_PATTERN, 'must be a username') })
  .strict();
export type ContactParams = z.output<typeof contactParamsSchema>;

export const contactSchema = userSummarySchema.extend({ addedAt: z.string() });
export type Contact = z.output<typeof contactSchema>;

export const contactsAnswerSchema = z.object({ contacts: z.array(contactSchema) });
export type ContactsAnswer = z.output<typeof contactsAnswerSchema>;

/** `GET /v1/presence?userIds=<id>,<id>`: up to PRESENCE_WATCH_MAX users. */
export const presenceQuerySchema = z
  .object({
    userIds: z
      .string()
      .max(PRESENCE_WATCH_MAX * 37)
      .transform((v) => v.split(',').filter((s) => s.length > 0))
      .pipe(z.array(userIdSchema).min(1).max(PRESENCE_WATCH_MAX)),
  })
  .strict();
export type PresenceQuery = z.output<typeof presenceQuerySchema>;

/** Each asked user's presence as the caller may see it (null fields: hidden). */
export const presenceAnswerSchema = z.object({ users: z.array(userPresenceSchema) });
export type PresenceAnswer = z.output<typeof presenceAnswerSchema>;
