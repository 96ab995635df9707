import { randomUUID } from 'node:crypto';
import type { AuthOkFrame, ErrorFrame, HelloFrame, ServerFrame } from '@parley/protocol';
import {
  createAccount,
  logIn,
  ParleyTestClient,
  postJson,
  requestConnect,
  TestAccount,
} from '@parley/testing';
import { jwtClaims, signJwt } from './support/jwt';
import { testStack, wsUrlOf } from './support/test-stack';

/**
 * Tokens and sessions against the real stack: what an access token must carry, and that ending a
 * session (log-out, refresh-token reuse) or letting its token expire ends everything it opened,
 * on every gateway.
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;
/** The secret Parley's source once shipped as the development default. */
const PUBLISHED_SECRET = 'parley-development-only-jwt-secret-change-me';

const now = () => Math.floor(Date.now() / 1000);

async function me(gateway: string, token: string): Promise<number> {
  const res = await fetch(`${gateway}/v1/auth/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.text();
  return res.status;
}

const post = (gateway: string, path: string, body: unknown, token?: string) =>
  postJson<unknown>(`${gateway}${path}`, body, token);

/** A token of `account`'s session, with the claims overridden. */
function forged(account: TestAccount, claims: Record<string, unknown>, secret = stack.jwtSecret) {
  const real = jwtClaims(account.accessToken);
  return signJwt({ ...real, ...claims }, secret);
}

describe('access tokens', () => {
  it('carry iss, aud, sid (the log-in session) and exp', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const claims = jwtClaims(alice.accessToken);
    expect(claims).toMatchObject({
      sub: alice.id,
      iss: 'parley',
      aud: 'parley-api',
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      exp: expect.any(Number),
    });
    expect(await me(gateway2, alice.accessToken)).toBe(200);
  });

  it('are refused without exp, iss, aud or sid, with another issuer or audience, expired, or signed with the once-published development secret', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const claims = jwtClaims(alice.accessToken);
    const without = (name: string) => {
      const copy = { ...claims };
      delete copy[name];
      return signJwt(copy, stack.jwtSecret);
    };
    const refused = [
      without('exp'),
      without('iss'),
      without('aud'),
      without('sid'),
      forged(alice, { iss: 'someone-else' }),
      forged(alice, { aud: 'another-api' }),
      forged(alice, { exp: now() - 5 }),
      forged(alice, { exp: now() + 3600 }, PUBLISHED_SECRET),
    ];
    for (const token of refused) {
      expect(await me(gateway1, token)).toBe(401);
      expect((await requestConnect(gateway2, { accessToken: token })).status).toBe(401);
    }
    // The same forging with the real secret and every claim present is accepted: the refusals
    // above are about the claims, not the forging.
    expect(await me(gateway1, forged(alice, { exp: now() + 60 }))).toBe(200);
  });
});

describe('ending a session', () => {
  it("log-out refuses the session's access token at once on every gateway and closes its sockets on both gateways with 4001; the user's other session stays", async () => {
    const alice = await createAccount(gateway1, 'alice');
    const other = await logIn(gateway2, alice.username, alice.password);
    const onOne = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice, 'phone');
    const onTwo = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), alice, 'laptop');
    const otherSession = await ParleyTestClient.connect(gateway2, other, 'tablet');

    const out = await post(
      gateway2,
      '/v1/auth/logout',
      { refreshToken: alice.refreshToken },
      alice.accessToken,
    );
    expect(out.status).toBe(204);
    expect(await onOne.waitClosed()).toBe(4001);
    expect(await onTwo.waitClosed()).toBe(4001);
    for (const gateway of [gateway1, gateway2]) {
      expect(await me(gateway, alice.accessToken)).toBe(401);
      expect((await requestConnect(gateway, alice)).status).toBe(401);
    }
    expect(await me(gateway1, other.accessToken)).toBe(200);
    otherSession.send({ type: 'sync', ref: 'still-here' });
    await otherSession.next((f) => f.type === 'sync.page');
    expect(otherSession.closeCode).toBeUndefined();
    otherSession.close();
  });

  it('reusing a rotated refresh token (theft) ends the session: its sockets close with 4001, its access tokens are refused', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const socket = await ParleyTestClient.connect(gateway1, alice, 'phone');
    const rotated = await post(gateway1, '/v1/auth/refresh', { refreshToken: alice.refreshToken });
    expect(rotated.status).toBe(200);
    // The holder uses its replacement, so the old token again is no lost answer asked again.
    const used = await post(gateway1, '/v1/auth/refresh', {
      refreshToken: (rotated.body as { refreshToken: string }).refreshToken,
    });
    expect(used.status).toBe(200);
    const fresh = (used.body as { accessToken: string }).accessToken;
    expect(await me(gateway2, fresh)).toBe(200);

    const replay = await post(gateway2, '/v1/auth/refresh', { refreshToken: alice.refreshToken });
    expect(replay.status).toBe(401);
    expect(await socket.waitClosed()).toBe(4001);
    expect(await me(gateway1, fresh)).toBe(401);
    expect(await me(gateway2, alice.accessToken)).toBe(401);
  });

  it('refuses an upgrade whose ticket was issued before the session ended', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const answer = await requestConnect(gateway1, alice, 'phone');
    expect(answer.status).toBe(200);
    const out = await post(
      gateway1,
      '/v1/auth/logout',
      { refreshToken: alice.refreshToken },
      alice.accessToken,
    );
    expect(out.status).toBe(204);
    await expect(ParleyTestClient.open(answer.body.url, answer.body.ticket)).rejects.toThrow(
      'upgrade refused: 401',
    );
  });
});

describe('socket authorization', () => {
  it('ends with the access token the socket was opened with: closed with 4002 at its expiry', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const shortLived = forged(alice, { exp: now() + 3 });
    const socket = await ParleyTestClient.connect(gateway1, { accessToken: shortLived }, 'phone');
    expect(socket.closeCode).toBeUndefined();
    expect(await socket.waitClosed(15_000)).toBe(4002);
  });

  it('is renewed by an auth frame with a fresh token of the same user; a token of another user or a bad one is refused and changes nothing', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const shortLived = forged(alice, { exp: now() + 4 });
    const answer = await requestConnect(gateway2, { accessToken: shortLived }, 'phone');
    const socket = await ParleyTestClient.open(answer.body.url, answer.body.ticket);
    const hello = await socket.next<HelloFrame>((f) => f.type === 'hello');
    expect(Date.parse(hello.expiresAt)).toBeLessThanOrEqual((now() + 4) * 1000);

    const isAnswer = (ref: string) => (f: ServerFrame) =>
      (f.type === 'error' || f.type === 'auth.ok') && f.ref === ref;
    socket.send({ type: 'auth', ref: 'bob', token: bob.accessToken });
    expect(await socket.next<ErrorFrame>(isAnswer('bob'))).toMatchObject({
      type: 'error',
      code: 'unauthorized',
    });
    socket.send({ type: 'auth', ref: 'junk', token: 'not-a-token' });
    expect(await socket.next<ErrorFrame>(isAnswer('junk'))).toMatchObject({
      type: 'error',
      code: 'unauthorized',
    });
    socket.send({ type: 'auth', ref: 'renew', token: alice.accessToken });
    const ok = await socket.next<AuthOkFrame>(isAnswer('renew'));
    expect(ok.type).toBe('auth.ok');
    expect(Date.parse(ok.expiresAt)).toBe((jwtClaims(alice.accessToken).exp as number) * 1000);

    // Past the first token's expiry the socket still works.
    await new Promise((r) => setTimeout(r, 6000));
    expect(socket.closeCode).toBeUndefined();
    const clientMsgId = randomUUID();
    socket.send({ type: 'send', clientMsgId, to: bob.username, text: 'still authorized' });
    await socket.next((f) => f.type === 'accepted' && f.clientMsgId === clientMsgId);
    socket.close();
  });
});
