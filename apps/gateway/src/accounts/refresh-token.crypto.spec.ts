import { createHash } from 'node:crypto';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.crypto';

describe('refresh token crypto', () => {
  it('generates 43-char base64url tokens from 32 random bytes', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeats', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateRefreshToken()));
    expect(tokens.size).toBe(1000);
  });

  it('hashes with SHA-256 hex, deterministically, without containing the token', () => {
    const token = generateRefreshToken();
    const hash = hashRefreshToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashRefreshToken(token)).toBe(hash);
    expect(hashRefreshToken(generateRefreshToken())).not.toBe(hash);
    expect(hash).not.toContain(token);
  });
});
