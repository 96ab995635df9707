import { z } from 'zod/v4';
import { defineEvent } from '../envelope';
import { isoTimeSchema } from '@parley/protocol';

const userId = z.guid();

/** A new account exists (published by the gateway after the database commit). */
export const AccountRegisteredV1 = defineEvent(
  'account.registered',
  1,
  z.object({ userId, username: z.string().min(3).max(32) }).strict(),
);

/** A user logged in on some device (password log-in; refreshes are not log-ins). */
export const AccountLoggedInV1 = defineEvent(
  'account.logged-in',
  1,
  z.object({ userId, at: isoTimeSchema }).strict(),
);

/** A refresh token was revoked by log-out. */
export const AccountLoggedOutV1 = defineEvent(
  'account.logged-out',
  1,
  z.object({ userId, at: isoTimeSchema }).strict(),
);

export const ACCOUNT_EVENTS = [AccountRegisteredV1, AccountLoggedInV1, AccountLoggedOutV1] as const;
export type AccountEvent = (typeof ACCOUNT_EVENTS)[number];
