/** The stored state of a refresh token that decides what presenting it means. */
export interface RefreshTokenState {
  expiresAt: Date;
  revokedAt: Date | null;
  replacedBy: string | null;
}

/**
 * - `valid`: may be rotated once.
 * - `reused`: already rotated or revoked; presenting it again signals theft, so the family goes.
 * - `expired`: too old; refused, nothing else happens.
 */
export type RefreshTokenVerdict = 'valid' | 'reused' | 'expired';

export function classifyRefreshToken(token: RefreshTokenState, now: Date): RefreshTokenVerdict {
  if (token.revokedAt !== null || token.replacedBy !== null) return 'reused';
  if (token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'valid';
}

export function refreshTokenExpiry(now: Date, ttlDays: number): Date {
  return new Date(now.getTime() + ttlDays * 24 * 3600 * 1000);
}
