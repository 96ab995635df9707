import { z } from 'zod/v4';
import { presenceVisibilitySchema } from '../presence';
import { USERNAME_PATTERN, userIdSchema } from '../ids';
import { unsafeTextProblem } from '../text';

/** `POST /v1/auth/register` */
export const registerBodySchema = z
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
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    password: z
      .string()
      .min(10, 'must be at least 10 characters')
      .max(256, 'must be at most 256 characters'),
  })
  .strict();
export type RegisterBody = z.output<typeof registerBodySchema>;

/**
 * `POST /v1/auth/login`. It does not reveal the registration rules: any plausible pair is checked.
 * A NUL is not plausible anywhere (PostgreSQL text cannot hold one, so the look-up would fail).
 */
export const loginBodySchema = z
  .object({
    username: z
      .string()
      .min(1, 'is required')
      .max(64, 'must be at most 64 characters')
      .refine((u) => !u.includes('\u0000'), 'must not contain NUL characters'),
    password: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
  })
  .strict();
export type LoginBody = z.output<typeof loginBodySchema>;

/** `POST /v1/auth/refresh` and `POST /v1/auth/logout`: a refresh token is 32 random bytes, base64url. */
export const refreshTokenBodySchema = z
  .object({ refreshToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a refresh token') })
  .strict();
export type RefreshTokenBody = z.output<typeof refreshTokenBodySchema>;

/** The public shape of one's own account (never the database row). */
export const userViewSchema = z.object({
  id: userIdSchema,
  username: z.string(),
  email: z.string(),
  realName: z.string(),
  createdAt: z.string(),
});
export type UserView = z.output<typeof userViewSchema>;

/** `{ user }`: the answer of register and `GET /v1/auth/me`. */
export const userAnswerSchema = z.object({ user: userViewSchema });
export type UserAnswer = z.output<typeof userAnswerSchema>;

export const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int().positive(),
});
export type TokenPair = z.output<typeof tokenPairSchema>;

export const loginAnswerSchema = tokenPairSchema.extend({ user: userViewSchema });
export type LoginAnswer = z.output<typeof loginAnswerSchema>;

/**
 * The browser's session (`/v1/auth/web/*`): the refresh token never reaches page script. It lives
 * in an HttpOnly, SameSite=Strict cookie (`parley_refresh`, Secure over TLS); the answer carries
 * only the short-lived access token, which the page keeps in memory. Every web session route
 * needs the header `X-Parley-Web: 1`, which a page of another site cannot send without a CORS
 * preflight the gateway never allows: that is the CSRF guard.
 */
export const WEB_CLIENT_HEADER = 'x-parley-web';
export const REFRESH_COOKIE = 'parley_refresh';
export const REFRESH_COOKIE_PATH = '/v1/auth/web';

export const webSessionAnswerSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().positive(),
  user: userViewSchema,
});
export type WebSessionAnswer = z.output<typeof webSessionAnswerSchema>;

/**
 * One's own settings: `GET /v1/settings` answers them, `PUT /v1/settings` changes the fields it
 * names and answers them all. `readReceipts` (default on): when off, others see only delivered
 * from this user, and this user sees nobody's read state (delivered is always shown).
 */
export const settingsViewSchema = z.object({
  readReceipts: z.boolean(),
  /**
   * Who sees this user's online state and last seen (default everyone). Reciprocal: this user
   * sees another's only if their own choice allows that user too.
   */
  presence: presenceVisibilitySchema,
});
export type SettingsView = z.output<typeof settingsViewSchema>;

/** `PUT /v1/settings`: at least one field. */
export const settingsBodySchema = z
  .object({
    readReceipts: z.boolean().optional(),
    presence: presenceVisibilitySchema.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'must name at least one setting');
export type SettingsBody = z.output<typeof settingsBodySchema>;
