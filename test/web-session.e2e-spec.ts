import { REFRESH_COOKIE, WEB_CLIENT_HEADER, webSessionAnswerSchema } from '@parley/protocol';
import { createAccount, ParleyTestClient } from '@parley/testing';
import { testStack } from './support/test-stack';

/**
 * The browser's cookie session over plain HTTP, against the real stack: the CSRF header, the
 * cookie's attributes, rotation, reuse of a rotated cookie treated as theft, and log-out.
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;

interface WebAnswer {
  status: number;
  body: unknown;
  /** The refresh cookie set by the answer: its value ('' when cleared) and attributes. */
  cookie?: { value: string; attributes: string[] };
}

async function web(
  gateway: string,
  route: 'login' | 'refresh' | 'logout',
  options: { cookie?: string; body?: unknown; header?: boolean; viaTls?: boolean } = {},
): Promise<WebAnswer> {
  const res = await fetch(`${gateway}/v1/auth/web/${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.header === false ? {} : { [WEB_CLIENT_HEADER]: '1' }),
      ...(options.cookie ? { cookie: `${REFRESH_COOKIE}=${options.cookie}` } : {}),
      // What a TLS-terminating proxy adds (the test stack trusts loopback as its proxy).
      ...(options.viaTls ? { 'x-forwarded-proto': 'https' } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${REFRESH_COOKIE}=`));
  const cookie = set
    ? (() => {
        const [pair = '', ...attributes] = set.split(';').map((p) => p.trim());
        return { value: pair.slice(REFRESH_COOKIE.length + 1), attributes };
      })()
    : undefined;
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, cookie };
}

async function me(gateway: string, token: string): Promise<number> {
  const res = await fetch(`${gateway}/v1/auth/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.text();
  return res.status;
}

describe('browser session by cookie (/v1/auth/web)', () => {
  it('needs X-Parley-Web on every route: without it, 403 and no cookie', async () => {
    const alice = await createAccount(gateway1, 'wc');
    const credentials = { username: alice.username, password: alice.password };
    for (const route of ['login', 'refresh', 'logout'] as const) {
      const answer = await web(gateway1, route, { body: credentials, header: false });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: { code: 'forbidden' } });
      expect(answer.cookie).toBeUndefined();
    }
  });

  it('logs in with the refresh token only in an HttpOnly, SameSite=Strict cookie scoped to its routes', async () => {
    const alice = await createAccount(gateway1, 'wc');
    const login = await web(gateway1, 'login', {
      body: { username: alice.username, password: alice.password },
    });
    expect(login.status).toBe(200);
    const body = webSessionAnswerSchema.parse(login.body);
    expect(body.user.id).toBe(alice.id);
    expect(JSON.stringify(login.body)).not.toContain('refreshToken');
    expect(login.cookie?.value).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(login.cookie?.attributes).toEqual(
      expect.arrayContaining(['Path=/v1/auth/web', 'HttpOnly', 'SameSite=Strict']),
    );
    // Plain HTTP on loopback: not Secure (a TLS-terminating proxy's request would be).
    expect(login.cookie?.attributes).not.toContain('Secure');
    expect(await me(gateway2, body.accessToken)).toBe(200);

    // Behind a TLS-terminating proxy the cookie is Secure: the browser never sends it over HTTP.
    const overTls = await web(gateway1, 'login', {
      body: { username: alice.username, password: alice.password },
      viaTls: true,
    });
    expect(overTls.status).toBe(200);
    expect(overTls.cookie?.attributes).toContain('Secure');

    const wrong = await web(gateway1, 'login', {
      body: { username: alice.username, password: 'not the password at all' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.cookie).toBeUndefined();
  });

  it('rotates the cookie on refresh (on any gateway); reusing a rotated cookie ends the session and clears the cookie', async () => {
    const alice = await createAccount(gateway1, 'wc');
    const login = await web(gateway1, 'login', {
      body: { username: alice.username, password: alice.password },
    });
    const first = login.cookie?.value ?? '';

    const refreshed = await web(gateway2, 'refresh', { cookie: first });
    expect(refreshed.status).toBe(200);
    const second = refreshed.cookie?.value ?? '';
    expect(second).not.toBe(first);
    // The page uses its new cookie (so the first again is no lost answer asked again).
    const used = await web(gateway1, 'refresh', { cookie: second });
    expect(used.status).toBe(200);
    const third = used.cookie?.value ?? '';
    const access = webSessionAnswerSchema.parse(used.body).accessToken;
    expect(await me(gateway1, access)).toBe(200);

    // The rotated cookie again: theft. 401, the cookie cleared, the whole session ended.
    const reused = await web(gateway1, 'refresh', { cookie: first });
    expect(reused.status).toBe(401);
    expect(reused.cookie?.value).toBe('');
    expect(await me(gateway1, access)).toBe(401);
    expect((await web(gateway1, 'refresh', { cookie: third })).status).toBe(401);
  });

  it('answers 401 to a refresh without a cookie or with a made-up one', async () => {
    expect((await web(gateway1, 'refresh')).status).toBe(401);
    const madeUp = await web(gateway1, 'refresh', { cookie: 'A'.repeat(43) });
    expect(madeUp.status).toBe(401);
    expect(madeUp.cookie?.value).toBe('');
  });

  it('logs out: the cookie is cleared, its access token and refresh refused, its sockets closed with 4001', async () => {
    const alice = await createAccount(gateway1, 'wc');
    const login = await web(gateway1, 'login', {
      body: { username: alice.username, password: alice.password },
    });
    const { accessToken } = webSessionAnswerSchema.parse(login.body);
    const socket = await ParleyTestClient.connect(gateway1, { accessToken }, 'browser');

    const out = await web(gateway2, 'logout', { cookie: login.cookie?.value });
    expect(out.status).toBe(204);
    expect(out.cookie?.value).toBe('');
    expect(await socket.waitClosed()).toBe(4001);
    expect(await me(gateway1, accessToken)).toBe(401);
    expect((await web(gateway1, 'refresh', { cookie: login.cookie?.value })).status).toBe(401);
    // Without a cookie log-out changes nothing and says so with 204.
    expect((await web(gateway1, 'logout')).status).toBe(204);
  });
});
