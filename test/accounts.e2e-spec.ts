import { createHash, randomBytes, randomInt } from 'node:crypto';
import { ApiClient, MemoryCredentialsStore } from '@parley/client';
import { Client } from 'pg';
import {
  usernameSkeleton,
  usernameSkeletonSql,
} from '../apps/gateway/src/accounts/username-skeleton';
import { testStack } from './support/test-stack';

/**
 * Accounts against the real stack: two gateways, one PostgreSQL, one Redis. Every test makes its
 * own usernames (random suffix) and its own client address (X-Forwarded-For, trusted from
 * loopback), so reruns against a reused database and the shared address throttle never collide.
 */

interface ErrorBody {
  error: {
    code: string;
    message: string;
    fields?: { field: string; message: string }[];
    requestId?: string;
  };
}
interface UserView {
  id: string;
  username: string;
  email: string;
  realName: string;
  createdAt: string;
}
interface LoginBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: UserView;
}
interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
  ms: number;
}

/** Per-username failures tolerated before 429 (LOGIN_THROTTLE_MAX_FAILURES default). */
const MAX_USERNAME_FAILURES = 5;
/** Per-address failures tolerated before 429 (LOGIN_THROTTLE_MAX_ADDRESS_FAILURES default). */
const MAX_ADDRESS_FAILURES = 20;
/** Per-username failures (over all addresses) after which attempts are slowed, not refused. */
const SLOWDOWN_AFTER_FAILURES = 10;
/** Registrations per address per hour (REGISTER_MAX_PER_ADDRESS default). */
const REGISTER_MAX_PER_ADDRESS = 10;
const CONFLICT_MESSAGE =
  'That username (or one that looks like it) or that email is already registered';

const stack = testStack();
const [gatewayA, gatewayB] = stack.gateways;
let db: Client;

beforeAll(async () => {
  db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db.end();
});

const suffix = () => randomBytes(5).toString('hex');
const newAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const PASSWORD = 'correct horse battery staple';

function newAccount(overrides: Record<string, unknown> = {}) {
  const s = suffix();
  return {
    username: `user_${s}`,
    email: `user_${s}@example.org`,
    realName: `Test User ${s}`,
    password: PASSWORD,
    ...overrides,
  };
}

async function call<T>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; rawBody?: string; token?: string; address?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { 'x-forwarded-for': options.address ?? newAddress() };
  if (options.body !== undefined || options.rawBody !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body:
      options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: res.headers,
    ms,
  };
}

const register = (base: string, body: unknown, address?: string) =>
  call<{ user: UserView } & ErrorBody>(base, 'POST', '/v1/auth/register', { body, address });
const login = (base: string, username: string, password: string, address?: string) =>
  call<LoginBody & ErrorBody>(base, 'POST', '/v1/auth/login', {
    body: { username, password },
    address,
  });
const refresh = (base: string, refreshToken: string) =>
  call<LoginBody & ErrorBody>(base, 'POST', '/v1/auth/refresh', { body: { refreshToken } });

async function registered(base = gatewayA) {
  const account = newAccount();
  const res = await register(base, account);
  expect(res.status).toBe(201);
  return { ...account, id: res.body.user.id };
}

async function loggedIn(base = gatewayA) {
  const account = await registered(base);
  const res = await login(base, account.username, account.password);
  expect(res.status).toBe(200);
  return { account, tokens: res.body };
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

async function usersNamed(username: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM users WHERE username_key = lower($1)',
    [username],
  );
  return Number(rows[0].n);
}

async function tokenRow(token: string) {
  const { rows } = await db.query<{
    id: string;
    family_id: string;
    revoked_at: Date | null;
    replaced_by: string | null;
  }>('SELECT id, family_id, revoked_at, replaced_by FROM refresh_tokens WHERE token_hash = $1', [
    sha256(token),
  ]);
  return rows[0];
}

function fieldsOf(body: ErrorBody): string[] {
  return (body.error.fields ?? []).map((f) => f.field);
}

function withoutRequestId(body: ErrorBody) {
  const { requestId: _requestId, ...rest } = body.error;
  return rest;
}

describe('accounts: registration', () => {
  it('registers an account and stores only an argon2id hash of the password', async () => {
    const account = newAccount({ username: `Mixed_Case_${suffix()}` });
    const res = await register(gatewayA, account);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: account.username,
        email: account.email,
        realName: account.realName,
        createdAt: expect.any(String),
      },
    });
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    const { rows } = await db.query<{ username_key: string; password_hash: string }>(
      'SELECT username_key, password_hash FROM users WHERE id = $1',
      [res.body.user.id],
    );
    expect(rows[0].username_key).toBe(account.username.toLowerCase());
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(rows[0].password_hash).not.toContain(PASSWORD);
  });

  it('lets exactly one of 10 simultaneous registrations of one username win, across both gateways', async () => {
    const base = `race_${suffix()}`;
    const casings = (i: number) =>
      [...base].map((c, j) => ((i >> (j % 4)) & 1 ? c.toUpperCase() : c)).join('');
    const attempts = Array.from({ length: 10 }, (_, i) =>
      register(i % 2 === 0 ? gatewayA : gatewayB, newAccount({ username: casings(i) })),
    );
    const results = await Promise.all(attempts);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.error).toMatchObject({ code: 'conflict', message: CONFLICT_MESSAGE });
    }
    expect(await usersNamed(base)).toBe(1);
  });

  it('refuses a duplicate email (case-insensitively) with the same 409 as a taken username, naming neither', async () => {
    const first = await registered(gatewayA);
    const byEmail = await register(gatewayB, newAccount({ email: first.email.toUpperCase() }));
    const byName = await register(gatewayA, newAccount({ username: first.username }));
    for (const res of [byEmail, byName]) {
      expect(res.status).toBe(409);
      expect(withoutRequestId(res.body)).toEqual({ code: 'conflict', message: CONFLICT_MESSAGE });
    }
  });

  it('refuses a username that looks like a taken one (I/l/1, O/0, rn/m, vv/w), even registered at the same moment on both gateways', async () => {
    const s = suffix().replace(/[0-9]/g, 'a');
    const first = newAccount({ username: `lolo_${s}` });
    expect((await register(gatewayA, first)).status).toBe(201);
    for (const lookalike of [`1010_${s}`, `IoIo_${s}`, `l0lO_${s}`]) {
      const attempt = newAccount({ username: lookalike });
      const res = await register(gatewayB, attempt);
      expect(res.status).toBe(409);
      expect(await usersNamed(lookalike)).toBe(0);
    }
    const race = await Promise.all([
      register(gatewayA, newAccount({ username: `mo_${s}` })),
      register(gatewayB, newAccount({ username: `rno_${s}` })),
    ]);
    expect(race.map((r) => r.status).sort()).toEqual([201, 409]);
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM users WHERE username_skeleton = $1',
      [`mo_${s}`],
    );
    expect(Number(rows[0].n)).toBe(1);
  });

  it('computes the look-alike key in SQL (the migration) exactly as the gateway does', async () => {
    const samples = ['Alice', 'a1ice', 'B0b_01', 'rnodern', 'VVendy', 'iIl1_o0O'];
    for (const username of samples) {
      const { rows } = await db.query<{ k: string }>(
        `SELECT ${usernameSkeletonSql('$1::text')} AS k`,
        [username],
      );
      expect(rows[0].k).toBe(usernameSkeleton(username));
    }
  });

  it('throttles registrations per client address (429 with Retry-After), other addresses unaffected', async () => {
    const address = newAddress();
    for (let i = 0; i < REGISTER_MAX_PER_ADDRESS; i++) {
      expect((await register(i % 2 ? gatewayA : gatewayB, newAccount(), address)).status).toBe(201);
    }
    const blocked = newAccount();
    const res = await register(gatewayA, blocked, address);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await usersNamed(blocked.username)).toBe(0);
    expect((await register(gatewayB, blocked)).status).toBe(201);
  });

  it.each([
    ['a NUL', 'Al\u0000ice'],
    ['terminal escape codes', '\u001b[2J\u001b[31mAlice'],
    ['a bidi override', 'Alice\u202Eecila'],
    ['a zero-width space', 'Ali\u200Bce'],
    ['a line break', 'Alice\nAdmin'],
  ])(
    'refuses a realName with %s: 400 naming the field, nothing written',
    async (_what, realName) => {
      const account = newAccount({ realName });
      const res = await register(gatewayA, account);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(fieldsOf(res.body)).toEqual(['realName']);
      expect(await usersNamed(account.username)).toBe(0);
    },
  );

  it.each([
    ['an unknown field', { isAdmin: true }, 'isAdmin'],
    ['a wrong type', { realName: 42 }, 'realName'],
    ['a short password', { password: 'short' }, 'password'],
    ['a bad username', { username: 'no spaces!' }, 'username'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
  ])('refuses %s with 400 naming the field and writes nothing', async (_case, patch, field) => {
    const account = newAccount();
    const res = await register(gatewayA, { ...account, ...patch });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(fieldsOf(res.body)).toEqual([field]);
    expect(await usersNamed(account.username)).toBe(0);
  });

  it('refuses a ~20 KB body with 400 and writes nothing', async () => {
    const account = newAccount({ realName: 'x'.repeat(20_000) });
    const res = await call<ErrorBody>(gatewayB, 'POST', '/v1/auth/register', { body: account });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(fieldsOf(res.body)).toEqual(['(body)']);
    expect(await usersNamed(account.username)).toBe(0);
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await call<ErrorBody>(gatewayA, 'POST', '/v1/auth/register', { rawBody: '{"user' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('accounts: log-in', () => {
  it('logs in on either gateway with a JWT access token and an opaque, hashed refresh token', async () => {
    const account = await registered(gatewayA);
    const res = await login(gatewayB, account.username.toUpperCase(), account.password);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: 900,
      user: expect.objectContaining({ id: account.id, username: account.username }),
    });
    const header = JSON.parse(
      Buffer.from(res.body.accessToken.split('.')[0], 'base64url').toString(),
    ) as { alg: string };
    expect(header.alg).toBe('HS256');
    const claims = JSON.parse(
      Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString(),
    ) as { sub: string; exp: number; iat: number };
    expect(claims.sub).toBe(account.id);
    expect(claims.exp - claims.iat).toBe(900);

    const row = await tokenRow(res.body.refreshToken);
    expect(row).toBeDefined();
    const { rows } = await db.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [
      res.body.refreshToken,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('answers a wrong password and an unknown user identically, at a similar cost', async () => {
    const account = await registered(gatewayA);
    const wrong: Reply<ErrorBody>[] = [];
    const unknown: Reply<ErrorBody>[] = [];
    for (let i = 0; i < 3; i++) {
      wrong.push(await login(gatewayA, account.username, 'wrong password!'));
      unknown.push(await login(gatewayA, `nobody_${suffix()}`, 'wrong password!'));
    }
    for (const r of [...wrong, ...unknown]) {
      expect(r.status).toBe(401);
      expect(withoutRequestId(r.body)).toEqual({
        code: 'unauthorized',
        message: 'Invalid username or password',
      });
    }
    // Unknown users are verified against a dummy argon2 hash; without it they answer ~10x faster.
    const median = (rs: Reply<unknown>[]) => rs.map((r) => r.ms).sort((a, b) => a - b)[1];
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
  });

  it('refuses a login body with unknown fields (400) before checking anything', async () => {
    const res = await call<ErrorBody>(gatewayA, 'POST', '/v1/auth/login', {
      body: { username: 'someone', password: 'x', remember: true },
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body)).toEqual(['remember']);
    const missing = await call<ErrorBody>(gatewayA, 'POST', '/v1/auth/login', {
      body: { username: 'someone' },
    });
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing.body)).toEqual(['password']);
  });

  it('answers a username with a NUL with 400 (found by the fuzzer: it was a 500 from PostgreSQL)', async () => {
    for (const gateway of [gatewayA, gatewayB]) {
      const res = await call<ErrorBody>(gateway, 'POST', '/v1/auth/login', {
        body: { username: 'al\u0000ice', password: 'whatever-it-is' },
      });
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['username']);
    }
  });
});

describe('accounts: refresh tokens', () => {
  it('rotates: a new pair, the old token revoked and pointing at its replacement', async () => {
    const { tokens } = await loggedIn();
    const res = await refresh(gatewayB, tokens.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body.refreshToken).toMatch(/^[\w-]{43}$/);
    expect(res.body.refreshToken).not.toBe(tokens.refreshToken);
    expect(res.body.tokenType).toBe('Bearer');
    const me = await call<{ user: UserView }>(gatewayA, 'GET', '/v1/auth/me', {
      token: res.body.accessToken,
    });
    expect(me.status).toBe(200);

    const old = await tokenRow(tokens.refreshToken);
    const current = await tokenRow(res.body.refreshToken);
    expect(old.revoked_at).not.toBeNull();
    expect(old.replaced_by).toBe(current.id);
    expect(current.family_id).toBe(old.family_id);
    expect(current.revoked_at).toBeNull();
  });

  it('treats reuse of a rotated token as theft once its replacement was used: 401 and the whole family is revoked', async () => {
    const { tokens } = await loggedIn();
    const rotated = await refresh(gatewayA, tokens.refreshToken);
    expect(rotated.status).toBe(200);
    const used = await refresh(gatewayA, rotated.body.refreshToken);
    expect(used.status).toBe(200);

    const reuse = await refresh(gatewayB, tokens.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('unauthorized');

    // The legitimate-looking newest token dies with its family.
    const newest = await refresh(gatewayA, used.body.refreshToken);
    expect(newest.status).toBe(401);
    const family = (await tokenRow(tokens.refreshToken)).family_id;
    const { rows } = await db.query<{ live: string }>(
      'SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live FROM refresh_tokens WHERE family_id = $1',
      [family],
    );
    expect(Number(rows[0].live)).toBe(0);
  });

  it('answers a refresh asked again after its answer was lost (within the grace, on another gateway); the lost token is then theft', async () => {
    const { tokens } = await loggedIn();
    const lost = await refresh(gatewayA, tokens.refreshToken);
    expect(lost.status).toBe(200);

    const again = await refresh(gatewayB, tokens.refreshToken);
    expect(again.status).toBe(200);
    expect(again.body.refreshToken).not.toBe(lost.body.refreshToken);
    const me = await call(gatewayA, 'GET', '/v1/auth/me', { token: again.body.accessToken });
    expect(me.status).toBe(200);
    expect((await tokenRow(lost.body.refreshToken)).revoked_at).not.toBeNull();
    const onward = await refresh(gatewayA, again.body.refreshToken);
    expect(onward.status).toBe(200);

    // The answer that was lost, presented after all: someone else holds it.
    expect((await refresh(gatewayB, lost.body.refreshToken)).status).toBe(401);
    expect((await refresh(gatewayA, onward.body.refreshToken)).status).toBe(401);
  });

  it('the client library: a refresh whose answer the primary never sent is asked again on the fallback, and the session lives', async () => {
    const { account, tokens } = await loggedIn();
    const store = new MemoryCredentialsStore({
      server: gatewayA,
      userId: tokens.user.id,
      username: account.username,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
    });
    let lost = 0;
    const api = new ApiClient({
      server: gatewayA,
      credentials: store,
      // The primary rotates the token, then its answer is lost (a gateway dying mid-answer).
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if (url === `${gatewayA}/v1/auth/refresh` && lost++ === 0) {
          await res.arrayBuffer();
          throw new TypeError('fetch failed');
        }
        return res;
      },
    });
    api.setFallbacks([gatewayB]);

    const access = await api.freshAccessToken();
    expect(lost).toBe(1);
    const stored = await store.read();
    expect(stored?.refreshToken).not.toBe(tokens.refreshToken);
    const me = await call(gatewayA, 'GET', '/v1/auth/me', { token: access });
    expect(me.status).toBe(200);
    // The session goes on: the new token rotates on the primary as usual.
    await api.freshAccessToken();
    expect((await api.me()).username).toBe(account.username);
  });

  it('refuses an expired token', async () => {
    const { tokens } = await loggedIn();
    await db.query(
      "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [sha256(tokens.refreshToken)],
    );
    const res = await refresh(gatewayA, tokens.refreshToken);
    expect(res.status).toBe(401);
  });

  it('refuses unknown and malformed tokens', async () => {
    expect((await refresh(gatewayA, randomBytes(32).toString('base64url'))).status).toBe(401);
    const malformed = await refresh(gatewayA, 'not-a-token');
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed.body)).toEqual(['refreshToken']);
  });
});

describe('accounts: log-out and me', () => {
  it('logs out with a Bearer token: 204, and the refresh token no longer works', async () => {
    const { tokens } = await loggedIn();
    const anonymous = await call<ErrorBody>(gatewayA, 'POST', '/v1/auth/logout', {
      body: { refreshToken: tokens.refreshToken },
    });
    expect(anonymous.status).toBe(401);

    const res = await call<undefined>(gatewayB, 'POST', '/v1/auth/logout', {
      body: { refreshToken: tokens.refreshToken },
      token: tokens.accessToken,
    });
    expect(res.status).toBe(204);
    expect((await tokenRow(tokens.refreshToken)).revoked_at).not.toBeNull();
    expect((await refresh(gatewayA, tokens.refreshToken)).status).toBe(401);
  });

  it("refuses to log out someone else's refresh token", async () => {
    const alice = await loggedIn();
    const bob = await loggedIn();
    const res = await call<ErrorBody>(gatewayA, 'POST', '/v1/auth/logout', {
      body: { refreshToken: alice.tokens.refreshToken },
      token: bob.tokens.accessToken,
    });
    expect(res.status).toBe(401);
    expect((await tokenRow(alice.tokens.refreshToken)).revoked_at).toBeNull();
  });

  it('returns the current user for a valid Bearer token, 401 otherwise', async () => {
    const { account, tokens } = await loggedIn();
    const me = await call<{ user: UserView }>(gatewayB, 'GET', '/v1/auth/me', {
      token: tokens.accessToken,
    });
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({
      id: account.id,
      username: account.username,
      email: account.email,
      realName: account.realName,
      createdAt: expect.any(String),
    });

    const unsigned = [
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sub: account.id, exp: 9_999_999_999 })).toString('base64url'),
      '',
    ].join('.');
    const [, payload, signature] = tokens.accessToken.split('.');
    const tampered = [
      tokens.accessToken.split('.')[0],
      Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
          exp: 9_999_999_999,
        }),
      ).toString('base64url'),
      signature,
    ].join('.');
    for (const token of [undefined, 'garbage', unsigned, tampered]) {
      const res = await call<ErrorBody>(gatewayA, 'GET', '/v1/auth/me', { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });
});

describe('accounts: log-in throttling (shared by every gateway through Redis)', () => {
  it('throttles a username from one address after repeated failures, on BOTH gateways, even with the right password', async () => {
    const account = await registered();
    const guesser = newAddress();
    for (let i = 0; i < MAX_USERNAME_FAILURES; i++) {
      const res = await login(
        i % 2 ? gatewayA : gatewayB,
        account.username,
        'wrong password!',
        guesser,
      );
      expect(res.status).toBe(401);
    }
    for (const gateway of [gatewayA, gatewayB]) {
      for (const password of ['wrong password!', account.password]) {
        const res = await login(gateway, account.username.toUpperCase(), password, guesser);
        expect(res.status).toBe(429);
        expect(res.body.error.code).toBe('rate_limited');
        const retryAfter = Number(res.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(900);
      }
    }
  });

  it("never locks the owner out: a stranger's wrong passwords, from one address or from many, leave the owner's log-in working", async () => {
    const account = await registered();
    const stranger = newAddress();
    for (let i = 0; i < MAX_USERNAME_FAILURES + 1; i++) {
      await login(gatewayA, account.username, 'wrong password!', stranger);
    }
    expect((await login(gatewayA, account.username, account.password, stranger)).status).toBe(429);
    // Many strangers, past the username's slowdown threshold (counting the first stranger's five):
    // slowed down, never refused.
    for (let i = 0; i < SLOWDOWN_AFTER_FAILURES - MAX_USERNAME_FAILURES + 2; i++) {
      expect((await login(gatewayB, account.username, 'wrong password!')).status).toBe(401);
    }
    const owner = newAddress();
    const res = await login(gatewayB, account.username, account.password, owner);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(account.id);
  });

  it('clears the pair counter on a successful log-in', async () => {
    const account = await registered();
    const address = newAddress();
    for (let i = 0; i < MAX_USERNAME_FAILURES - 1; i++) {
      expect((await login(gatewayA, account.username, 'wrong password!', address)).status).toBe(
        401,
      );
    }
    expect((await login(gatewayB, account.username, account.password, address)).status).toBe(200);
    for (let i = 0; i < MAX_USERNAME_FAILURES; i++) {
      expect((await login(gatewayB, account.username, 'wrong password!', address)).status).toBe(
        401,
      );
    }
    expect((await login(gatewayA, account.username, account.password, address)).status).toBe(429);
  });

  it('throttles a client address failing across many usernames', async () => {
    const address = newAddress();
    const account = await registered();
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) {
      const res = await login(i % 2 ? gatewayA : gatewayB, `nobody_${suffix()}`, 'nope', address);
      expect(res.status).toBe(401);
    }
    const blocked = await login(gatewayA, account.username, account.password, address);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(gatewayB, `nobody_${suffix()}`, 'nope', address)).status).toBe(429);
    // The same user from another address is unaffected.
    expect((await login(gatewayB, account.username, account.password)).status).toBe(200);
  });
});
