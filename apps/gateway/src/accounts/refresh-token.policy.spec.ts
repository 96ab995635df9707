import { classifyRefreshToken, refreshTokenExpiry } from './refresh-token.policy';

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

describe('refreshTokenExpiry', () => {
  it('adds whole days', () => {
    expect(refreshTokenExpiry(now, 30).toISOString()).toBe('2025-01-31T12:00:00.000Z');
  });
});
