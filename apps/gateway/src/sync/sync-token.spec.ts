import { decodeSyncToken, encodeSyncToken } from './sync-token';

const C = '1763900000123-0123456789abcdef0123456789abcdef';

describe('sync token', () => {
  it('round-trips a position and is URL-safe', () => {
    const token = encodeSyncToken({ conversationId: C, seq: 1234 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSyncToken(token)).toEqual({ conversationId: C, seq: 1234 });
  });

  it('reads the empty token as the start', () => {
    expect(decodeSyncToken('')).toBeNull();
  });

  it('refuses anything it did not issue', () => {
    expect(decodeSyncToken('not a token!')).toBeUndefined();
    expect(decodeSyncToken(Buffer.from('{"c":"x","s":1}').toString('base64url'))).toBeUndefined();
    expect(
      decodeSyncToken(Buffer.from(`{"c":"${C}","s":0}`).toString('base64url')),
    ).toBeUndefined();
    expect(
      decodeSyncToken(Buffer.from(`{"c":"${C}","s":1,"x":1}`).toString('base64url')),
    ).toBeUndefined();
    expect(decodeSyncToken(Buffer.from('[').toString('base64url'))).toBeUndefined();
  });
});
