/** The stored state of a refresh token that decides what presenting it means. */
export interface RefreshTokenState {
  expiresAt: Date;
  revokedAt: Date | null;
  replacedBy: string | null;
}

/**
 * - `valid`: may be rotated once.
 * - `retried`: rotated less than the grace ago into a replacement nobody has presented: the
 *   rotation's answer was lost (a network drop, a gateway that died before answering), so its
 *   holder asks again. The unused replacement is revoked and another issued.
 * - `reused`: already rotated or revoked otherwise; presenting it again signals theft, so the
 *   family goes.
 * - `expired`: too old; refused, nothing else happens.
 */
export type RefreshTokenVerdict = 'valid' | 'retried' | 'reused' | 'expired';

/**
 * Whether the token was rotated (not revoked outright) less than `graceMs` ago: only then is its
 * replacement worth reading to tell a lost answer from a stolen copy.
 */
export function rotatedWithinGrace(token: RefreshTokenState, now: Date, graceMs: number): boolean {
  return (
    token.replacedBy !== null &&
    token.revokedAt !== null &&
    now.getTime() - token.revokedAt.getTime() < graceMs
  );
}

/**
 * `replacement`: the token this one was rotated into, when `rotatedWithinGrace` said to read it.
 * The grace runs from the first rotation and does not move when the token is presented again.
 */
export function classifyRefreshToken(
  token: RefreshTokenState,
  now: Date,
  graceMs = 0,
  replacement?: RefreshTokenState | null,
): RefreshTokenVerdict {
  if (
    replacement &&
    replacement.revokedAt === null &&
    replacement.replacedBy === null &&
    rotatedWithinGrace(token, now, graceMs) &&
    token.expiresAt.getTime() > now.getTime()
  )
    return 'retried';
  if (token.revokedAt !== null || token.replacedBy !== null) return 'reused';
  if (token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'valid';
}

export function refreshTokenExpiry(now: Date, ttlDays: number): Date {
  return new Date(now.getTime() + ttlDays * 24 * 3600 * 1000);
}
