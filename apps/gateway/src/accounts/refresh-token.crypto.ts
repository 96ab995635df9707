import { createHash, randomBytes } from 'node:crypto';

export const REFRESH_TOKEN_BYTES = 32;

/** A new opaque refresh token: 32 random bytes, base64url (43 characters, no padding). */
export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

/** What the database stores instead of the token: SHA-256, hex. The token itself is never kept. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
