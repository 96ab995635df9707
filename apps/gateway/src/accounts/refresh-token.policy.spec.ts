import {
  classifyRefreshToken,
  refreshTokenExpiry,
  rotatedWithinGrace,
} from './refresh-token.policy';

const now = new Date('2025-01-01T12:00:00Z');
const later = new Date('2025-01-02T12:00:00Z');
const earlier = new Date('2024-12-31T12:00:00Z');

describe('classifyRefreshToken', () => {
  it('accepts a live, unrotated token', () => {
    expect(classifyRefreshToken({ expiresAt: later, revokedAt: null, replacedBy: null }, now)).toBe(
      'valid',
    );
  });

  it('treats a rotated or revoked token as reuse, even when also expired', () => {
    expect(
      classifyRefreshToken({ expiresAt: later, revokedAt: earlier, replacedBy: 'x' }, now),
    ).toBe('reused');
    expect(
      classifyRefreshToken({ expiresAt: later, revokedAt: earlier, replacedBy: null }, now),
    ).toBe('reused');
    expect(
      classifyRefreshToken({ expiresAt: earlier, revokedAt: earlier, replacedBy: null }, now),
    ).toBe('reused');
  });

  it('refuses an expired token, at the exact expiry instant too', () => {
    expect(
      classifyRefreshToken({ expiresAt: earlier, revokedAt: null, replacedBy: null }, now),
    ).toBe('expired');
    expect(classifyRefreshToken({ expiresAt: now, revokedAt: null, replacedBy: null }, now)).toBe(
      'expired',
    );
  });
});

describe('classifyRefreshToken within the reuse grace', () => {
  const GRACE = 60_000;
  const rotatedAt = new Date(now.getTime() - 10_000);
  const rotated = { expiresAt: later, revokedAt: rotatedAt, replacedBy: 'r' };
  const unused = { expiresAt: later, revokedAt: null, replacedBy: null };

  it('reads a rotated token whose replacement is unused as a retry, until the grace ends', () => {
    expect(classifyRefreshToken(rotated, now, GRACE, unused)).toBe('retried');
    const atEnd = new Date(rotatedAt.getTime() + GRACE);
    expect(classifyRefreshToken(rotated, atEnd, GRACE, unused)).toBe('reused');
    expect(classifyRefreshToken(rotated, now, 0, unused)).toBe('reused');
  });

  it('reads it as reuse once the replacement was rotated or revoked, or was not read', () => {
    expect(classifyRefreshToken(rotated, now, GRACE, { ...unused, replacedBy: 'x' })).toBe(
      'reused',
    );
    expect(classifyRefreshToken(rotated, now, GRACE, { ...unused, revokedAt: now })).toBe('reused');
    expect(classifyRefreshToken(rotated, now, GRACE, null)).toBe('reused');
    expect(classifyRefreshToken(rotated, now, GRACE)).toBe('reused');
  });

  it('never reads a token revoked outright (log-out, a retry) or an expired one as a retry', () => {
    const revoked = { expiresAt: later, revokedAt: rotatedAt, replacedBy: null };
    expect(rotatedWithinGrace(revoked, now, GRACE)).toBe(false);
    expect(classifyRefreshToken(revoked, now, GRACE, unused)).toBe('reused');
    const expired = { ...rotated, expiresAt: now };
    expect(classifyRefreshToken(expired, now, GRACE, unused)).toBe('reused');
  });
});

describe('refreshTokenExpiry', () => {
  it('adds whole days', () => {
    expect(refreshTokenExpiry(now, 30).toISOString()).toBe('2025-01-31T12:00:00.000Z');
  });
});
