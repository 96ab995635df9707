import { unsafeTextProblem } from '@parley/common';
import { z } from 'zod';

/** Display form: 3-32 of a-z A-Z 0-9 _; uniqueness is case-insensitive (see usernameKey). */
export const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,32}$/;

export const registerSchema = z
  .object({
    username: z
      .string()
      .regex(USERNAME_PATTERN, 'must be 3-32 characters of letters, digits and underscore'),
    email: z.string().max(254, 'must be at most 254 characters').email('must be a valid email'),
    realName: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .superRefine((name, ctx) => {
        const problem = unsafeTextProblem(name, { multiline: false });
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }),
    password: z
      .string()
      .min(10, 'must be at least 10 characters')
      .max(256, 'must be at most 256 characters'),
  })
  .strict();
export type RegisterInput = z.output<typeof registerSchema>;

/** Log-in does not reveal the registration rules: any plausible username/password is checked. */
export const loginSchema = z
  .object({
    username: z.string().min(1, 'is required').max(64, 'must be at most 64 characters'),
    password: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
  })
  .strict();
export type LoginInput = z.output<typeof loginSchema>;

/** A refresh token is 32 random bytes, base64url (43 chars); anything else is malformed. */
export const refreshTokenSchema = z
  .object({ refreshToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a refresh token') })
  .strict();
export type RefreshTokenInput = z.output<typeof refreshTokenSchema>;

/** The case-insensitive uniqueness key of a username or email. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}

export function emailKey(email: string): string {
  return email.toLowerCase();
}
