import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { serializeError } from './error-serializer';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
const EMAIL = 'victim@example.org';

function failedInsert(): QueryFailedError {
  const driverError = new DatabaseError(
    'invalid byte sequence for encoding "UTF8": 0x00',
    0,
    'error',
  );
  driverError.code = '22021';
  driverError.detail = `Failing row contains (${EMAIL}, ${HASH}).`;
  driverError.table = 'users';
  return new QueryFailedError(
    'INSERT INTO "users"("username", "email", "password_hash") VALUES ($1, $2, $3)',
    ['alice', EMAIL, HASH],
    driverError,
  );
}

describe('serializeError', () => {
  it('keeps what failed (type, message, SQL text, code) and drops every bound value', () => {
    const out = serializeError(failedInsert()) as Record<string, unknown>;
    const text = JSON.stringify(out);
    expect(text).not.toContain(HASH);
    expect(text).not.toContain(EMAIL);
    expect(out).toMatchObject({
      type: 'QueryFailedError',
      message: 'invalid byte sequence for encoding "UTF8": 0x00',
      query: expect.stringContaining('INSERT INTO "users"'),
      code: '22021',
      driver: { code: '22021', table: 'users' },
    });
    expect(out.parameters).toBeUndefined();
    expect(out.detail).toBeUndefined();
    expect(typeof out.stack).toBe('string');
  });

  it('passes non-errors through untouched', () => {
    expect(serializeError('plain')).toBe('plain');
    expect(serializeError(undefined)).toBeUndefined();
  });
});
