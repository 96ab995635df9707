import {
  loginBodySchema as loginSchema,
  refreshTokenBodySchema as refreshTokenSchema,
  registerBodySchema as registerSchema,
} from './accounts';

const valid = {
  username: 'Alice_01',
  email: 'Alice@Example.org',
  realName: 'Alice Liddell',
  password: 'correct horse battery',
};

function problems(schema: typeof registerSchema | typeof loginSchema, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys : [i.path.join('.')],
  );
}

describe('registerSchema', () => {
  it('accepts a valid registration', () => {
    expect(registerSchema.parse(valid)).toEqual(valid);
  });

  it.each([
    ['username', 'ab'],
    ['username', 'a'.repeat(33)],
    ['username', 'has space'],
    ['username', 'émile'],
    ['email', 'not-an-email'],
    ['realName', ''],
    ['realName', '   '],
    ['realName', 'x'.repeat(101)],
    ['realName', 'Al\u0000ice'],
    ['realName', '\u001b[2J\u001b[31mAlice'],
    ['realName', 'Alice\u202Eecila'],
    ['realName', 'Ali\u200Bce'],
    ['realName', 'Alice\nAdmin'],
    ['password', 'short'],
    ['password', 'p'.repeat(257)],
    ['password', 1234567890123],
  ])('rejects %s = %j naming the field', (field, value) => {
    expect(problems(registerSchema, { ...valid, [field]: value })).toEqual([field]);
  });

  it('accepts the length limits exactly', () => {
    expect(
      registerSchema.safeParse({
        ...valid,
        username: 'a'.repeat(32),
        realName: 'r'.repeat(100),
        password: 'p'.repeat(256),
      }).success,
    ).toBe(true);
    expect(
      registerSchema.safeParse({ ...valid, username: 'abc', password: 'p'.repeat(10) }).success,
    ).toBe(true);
  });

  it('names unknown fields and missing fields', () => {
    expect(problems(registerSchema, { ...valid, isAdmin: true })).toEqual(['isAdmin']);
    const { email: _email, ...noEmail } = valid;
    expect(problems(registerSchema, noEmail)).toEqual(['email']);
  });
});

describe('loginSchema', () => {
  it('is strict and bounded', () => {
    expect(loginSchema.safeParse({ username: 'a', password: 'b' }).success).toBe(true);
    expect(problems(loginSchema, { username: 'a', password: 'b', remember: true })).toEqual([
      'remember',
    ]);
    expect(problems(loginSchema, { username: 'a'.repeat(65), password: 'b' })).toEqual([
      'username',
    ]);
    expect(problems(loginSchema, { username: 'a' })).toEqual(['password']);
  });

  it('refuses a username with a NUL (PostgreSQL text cannot hold one); a NUL password is hashed', () => {
    expect(problems(loginSchema, { username: 'al\u0000ice', password: 'b' })).toEqual(['username']);
    expect(loginSchema.safeParse({ username: 'alice', password: 'b\u0000' }).success).toBe(true);
  });
});

describe('refreshTokenSchema', () => {
  it('accepts only 43-char base64url tokens', () => {
    expect(refreshTokenSchema.safeParse({ refreshToken: 'A'.repeat(43) }).success).toBe(true);
    expect(refreshTokenSchema.safeParse({ refreshToken: 'A'.repeat(42) }).success).toBe(false);
    expect(refreshTokenSchema.safeParse({ refreshToken: `${'A'.repeat(42)}=` }).success).toBe(
      false,
    );
  });
});
