import type { Connection, ConnectionState } from '@parley/client';
import { RedisKeys, redisKeyPrefix } from '@parley/common';
import type { AckFrame, HelloFrame, MessageFrame } from '@parley/protocol';
import { createAccount, ParleyTestClient, postJson } from '@parley/testing';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';
import { jwtClaims, signJwt } from './support/jwt';
import { rawRequest, upgradeHead } from './support/raw-http';
import { deviceConnection } from './support/sync-device';
import { testStack, wsUrlOf } from './support/test-stack';

/**
 * A socket opened directly on a gateway with the access token in the upgrade's `Authorization`
 * header: the directory's answer and the upgrade in one exchange (PROTOCOL.md, "Opening a socket
 * directly"), against the real stack. A gateway busier than the least-loaded one answers 421 and
 * the client library asks the directory instead.
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;

/** The HTTP status a raw direct upgrade gets (`authorization` as sent, if any). */
async function upgradeStatus(
  gateway: string,
  target: string,
  authorization?: string,
): Promise<number> {
  const head = upgradeHead(target, authorization ? { Authorization: authorization } : {});
  return (await rawRequest(gateway, head)).status;
}

async function startedAt(gateway: string): Promise<string> {
  const text = await (await fetch(`${gateway}/metrics`)).text();
  const match = /^process_start_time_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!match) throw new Error('no process_start_time_seconds in /metrics');
  return match[1];
}

function online(connection: Connection): Promise<HelloFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('never online')), 20_000);
    connection.events.on('hello', (hello) => {
      clearTimeout(timer);
      resolve(hello);
    });
    connection.start();
  });
}

describe('a socket opened directly with the access token', () => {
  it('gets its hello from the gateway it asked, with the device it named and the other gateways as backups; messages flow both ways', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const viaDirectory = await ParleyTestClient.connect(gateway1, bob);
    const direct = await ParleyTestClient.openDirect(wsUrlOf(gateway2), alice, 'alices-phone');
    expect(direct.hello).toMatchObject({
      userId: alice.id,
      username: alice.username,
      deviceId: 'alices-phone',
      resumeTicket: expect.any(String),
    });
    const fromDirectory = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob);
    expect(direct.hello?.gatewayId).toBe(fromDirectory.hello?.gatewayId);
    expect(direct.hello?.backups).toEqual([wsUrlOf(gateway1)]);
    fromDirectory.close();

    const clientMsgId = randomUUID();
    direct.send({
      type: 'send',
      clientMsgId,
      to: bob.username,
      text: 'hello from a direct socket',
    });
    await direct.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === clientMsgId);
    const got = await viaDirectory.next<MessageFrame>(
      (f) => f.type === 'message' && f.message.clientMsgId === clientMsgId,
    );
    expect(got.message.text).toBe('hello from a direct socket');
    const reply = randomUUID();
    viaDirectory.send({ type: 'send', clientMsgId: reply, to: alice.username, text: 'and back' });
    await direct.next<MessageFrame>((f) => f.type === 'message' && f.message.clientMsgId === reply);
    direct.close();
    viaDirectory.close();
  });

  it("takes a browser's token from its bearer subprotocol (offered beside `parley`) and selects `parley`, never echoing the token", async () => {
    const alice = await createAccount(gateway1, 'alice');
    const socket = new WebSocket(`${wsUrlOf(gateway1)}?device=tab-1`, [
      'parley',
      `parley.bearer.${alice.accessToken}`,
    ]);
    const hello = await new Promise<HelloFrame>((resolve, reject) => {
      socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as HelloFrame));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`${res.statusCode}`)));
      socket.once('error', reject);
    });
    expect(socket.protocol).toBe('parley');
    expect(hello).toMatchObject({ type: 'hello', userId: alice.id, deviceId: 'tab-1' });
    socket.close();
  });

  it('is refused without a valid token or with a malformed request, with a clear status, and the gateway keeps running', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const before = await startedAt(gateway1);
    const bearer = (token: string) => `Bearer ${token}`;
    const claims = jwtClaims(alice.accessToken);
    const now = Math.floor(Date.now() / 1000);
    expect(await upgradeStatus(gateway1, '/ws')).toBe(401);
    expect(await upgradeStatus(gateway1, '/ws', 'Bearer not-a-token')).toBe(401);
    expect(await upgradeStatus(gateway1, '/ws', `Basic ${alice.accessToken}`)).toBe(401);
    expect(await upgradeStatus(gateway1, '/ws', bearer('a.b.c'))).toBe(401);
    expect(await upgradeStatus(gateway1, '/ws', bearer(`${'A'.repeat(5000)}.b.c`))).toBe(401);
    expect(
      await upgradeStatus(gateway1, '/ws', bearer(signJwt(claims, 'another-secret-entirely'))),
    ).toBe(401);
    expect(
      await upgradeStatus(
        gateway1,
        '/ws',
        bearer(signJwt({ ...claims, exp: now - 5 }, stack.jwtSecret)),
      ),
    ).toBe(401);
    const auth = bearer(alice.accessToken);
    expect(await upgradeStatus(gateway1, '/ws?device=has%20a%20space', auth)).toBe(400);
    expect(await upgradeStatus(gateway1, `/ws?device=${'d'.repeat(65)}`, auth)).toBe(400);
    expect(await upgradeStatus(gateway1, '/ws?sync=v9', auth)).toBe(400);
    // A ticket in the URL wins over the header: a bad ticket is refused whatever the header says.
    expect(await upgradeStatus(gateway1, `/ws?ticket=${'A'.repeat(43)}`, auth)).toBe(401);
    expect(await startedAt(gateway1)).toBe(before);
    const still = await ParleyTestClient.openDirect(wsUrlOf(gateway1), alice);
    still.close();
  });

  it("is refused once the token's session has ended (log-out)", async () => {
    const alice = await createAccount(gateway1, 'alice');
    const out = await postJson(
      `${gateway1}/v1/auth/logout`,
      { refreshToken: alice.refreshToken },
      alice.accessToken,
    );
    expect(out.status).toBe(204);
    await expect(ParleyTestClient.openDirect(wsUrlOf(gateway2), alice)).rejects.toThrow(
      'upgrade refused: 401',
    );
  });
});

describe('a gateway busier than the least loaded', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
  });
  afterAll(async () => {
    await redis.quit();
  });

  /**
   * Makes gateway-1 look busy (its load in the directory's index raised well past the slack) and
   * runs `attempt`. Session resets the index from each heartbeat (every second), so an attempt
   * that lands just after one sees the real load: up to five tries, until one is answered 421.
   */
  async function whileGateway1Busy<T>(attempt: () => Promise<T | undefined>): Promise<T> {
    const probe = await createAccount(gateway1, 'probe');
    const onGateway1 = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), probe);
    const gatewayId = onGateway1.hello?.gatewayId;
    onGateway1.close();
    if (!gatewayId) throw new Error('no gateway id');
    for (let i = 0; i < 5; i++) {
      await redis.zincrby(RedisKeys.gatewaysByLoad, 100_000, gatewayId);
      const result = await attempt();
      if (result !== undefined) return result;
    }
    throw new Error('gateway-1 never looked busy');
  }

  it('answers a direct upgrade with 421, and the client library then gets its socket from the directory on the other gateway', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const refusal = await whileGateway1Busy(() =>
      ParleyTestClient.openDirect(wsUrlOf(gateway1), alice).then(
        (c) => {
          c.close();
          return undefined;
        },
        (err: Error) => err.message,
      ),
    );
    expect(refusal).toBe('upgrade refused: 421');

    const states: ConnectionState[] = [];
    const hello = await whileGateway1Busy(async () => {
      const connection = deviceConnection(gateway1, alice, `lib-${randomUUID()}`);
      connection.events.on('state', (s) => states.push(s));
      const greeted = await online(connection);
      const onGateway2 =
        connection.state.kind === 'online' && connection.state.url === wsUrlOf(gateway2);
      connection.stop();
      return onGateway2 ? greeted : undefined;
    });
    expect(hello.userId).toBe(alice.id);
    // It went straight on: the 421 is not an offline spell with a back-off.
    expect(states.filter((s) => s.kind === 'offline')).toEqual([]);
  });

  it('the client library opens its socket directly on its API gateway when that one is not busier, and learns the other from the hello', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const connection = deviceConnection(gateway2, alice, 'laptop');
    const hello = await online(connection);
    expect(connection.state).toMatchObject({ kind: 'online', url: wsUrlOf(gateway2) });
    expect(hello.backups).toEqual([wsUrlOf(gateway1)]);
    connection.stop();
  });
});
