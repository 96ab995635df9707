import { createHash, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import WebSocket from 'ws';
import {
  type AcceptedFrame,
  DEFAULT_MAX_FRAME_BYTES,
  type ErrorFrame,
  type HelloFrame,
  type HistoryPageFrame,
  type ServerFrame,
  type SyncPageFrame,
} from '@parley/protocol';
import { RedisKeys, redisKeyPrefix } from '@parley/common';
import {
  createAccount,
  logIn,
  ParleyTestClient,
  requestConnect,
  TestAccount,
} from '@parley/testing';
import { jwtClaims } from './support/jwt';
import { testStack, wsUrlOf } from './support/test-stack';

const stack = testStack();
const [gateway1, gateway2] = stack.gateways;

/** Opens a WebSocket and reports how the upgrade ended: 'open' or the refusing HTTP status. */
function tryUpgrade(url: string): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

const ticketUrl = (url: string, ticket: string) => `${url}?ticket=${encodeURIComponent(ticket)}`;

async function http<T = unknown>(
  method: string,
  url: string,
  account: TestAccount,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${account.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const isError = (f: ServerFrame): f is ErrorFrame => f.type === 'error';

describe('messaging edge cases (tickets, membership, frames)', () => {
  let db: Client;
  let redis: Redis;

  beforeAll(async () => {
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
  });
  afterAll(async () => {
    await db.end();
    await redis.quit();
  });

  /** Waits until storage has the message (sender, clientMsgId); returns its row. */
  async function storedRow(senderId: string, clientMsgId: string) {
    const deadline = Date.now() + 20000;
    for (;;) {
      const r = await db.query<{ conversation_id: string; sender_id: string; body: string }>(
        'SELECT conversation_id, sender_id, body FROM messages WHERE sender_id = $1 AND client_msg_id = $2',
        [senderId, clientMsgId],
      );
      if (r.rows[0]) return r.rows[0];
      if (Date.now() > deadline) throw new Error(`message ${clientMsgId} never stored`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  async function countByClientMsgId(clientMsgId: string): Promise<number> {
    const r = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE client_msg_id = $1',
      [clientMsgId],
    );
    return r.rows[0].n;
  }

  /** Sends and waits for `accepted` (Kafka holds it). */
  async function sendAccepted(client: ParleyTestClient, target: object, text: string) {
    const clientMsgId = randomUUID();
    client.send({ type: 'send', clientMsgId, ...target, text });
    const frame = await client.next<AcceptedFrame | ErrorFrame>(
      (f) => (f.type === 'accepted' || f.type === 'error') && f.clientMsgId === clientMsgId,
    );
    if (frame.type !== 'accepted') throw new Error(`send refused: ${JSON.stringify(frame)}`);
    return { clientMsgId, conversationId: frame.conversationId };
  }

  describe('connect tickets', () => {
    it('POST /v1/connect needs a Bearer token and a valid deviceId', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const anonymous = await fetch(`${gateway1}/v1/connect`, { method: 'POST' });
      expect(anonymous.status).toBe(401);
      const bad = await requestConnect(gateway1, alice, 'not a device id!');
      expect(bad.status).toBe(400);
      const answer = await requestConnect(gateway1, alice, 'laptop-1');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        deviceId: 'laptop-1',
        expiresIn: 30,
        ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        url: expect.stringMatching(/^ws:\/\/.+\/ws$/),
      });
      expect(stack.gateways.map(wsUrlOf)).toContain(answer.body.url);
      expect(answer.body.backups).not.toContain(answer.body.url);
      // Only the hash is stored, with the ticket's TTL.
      const key = RedisKeys.connectTicket(
        createHash('sha256').update(answer.body.ticket).digest('hex'),
      );
      expect(JSON.parse((await redis.get(key)) ?? 'null')).toEqual({
        userId: alice.id,
        username: alice.username,
        deviceId: 'laptop-1',
        gatewayId: answer.body.gatewayId,
        // The same ticket opens a socket on the answer's backups (the other gateway here).
        backupGatewayIds: [expect.stringMatching(/^gateway-[12]$/)],
        // The log-in session behind the token that asked, and when that token expires.
        sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        expiresAt: expect.any(Number),
      });
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      const noDevice = await requestConnect(gateway1, alice);
      expect(noDevice.body.deviceId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    });

    it('refuses an upgrade without a ticket, or with a made-up one, with 401', async () => {
      expect(await tryUpgrade(wsUrlOf(gateway1))).toBe(401);
      expect(await tryUpgrade(ticketUrl(wsUrlOf(gateway1), 'x'.repeat(43)))).toBe(401);
      expect(await tryUpgrade(ticketUrl(wsUrlOf(gateway1), 'short'))).toBe(401);
    });

    it('accepts a ticket once: the second upgrade with it gets 401', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const { body } = await requestConnect(gateway1, alice);
      const first = await ParleyTestClient.open(body.url, body.ticket);
      const hello = await first.next((f) => f.type === 'hello');
      expect(hello).toMatchObject({ userId: alice.id, username: alice.username });
      expect(await tryUpgrade(ticketUrl(body.url, body.ticket))).toBe(401);
      first.close();
    });

    it('refuses an expired ticket with 401', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const { body } = await requestConnect(gateway1, alice);
      const key = RedisKeys.connectTicket(createHash('sha256').update(body.ticket).digest('hex'));
      expect(await redis.pexpire(key, 1)).toBe(1);
      await new Promise((res) => setTimeout(res, 50));
      expect(await tryUpgrade(ticketUrl(body.url, body.ticket))).toBe(401);
    });

    it('a ticket opens a socket on a backup of its answer, still only once across all of them', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const { body } = await requestConnect(gateway1, alice);
      expect(body.backups).toHaveLength(1);
      const onBackup = await ParleyTestClient.open(body.backups[0], body.ticket);
      const hello = await onBackup.next((f) => f.type === 'hello');
      expect(hello).toMatchObject({ userId: alice.id });
      expect(hello.type === 'hello' && hello.gatewayId).not.toBe(body.gatewayId);
      expect(await tryUpgrade(ticketUrl(body.url, body.ticket))).toBe(401);
      onBackup.close();
    });

    it('refuses a ticket on a gateway its answer did not name (401), and never names a gateway the client reported unreachable', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const [first, second] = stack.gateways.map(wsUrlOf);
      const { body } = await requestConnect(gateway1, alice, undefined, { unreachable: [second] });
      expect(body.url).toBe(first);
      expect(body.backups).toEqual([]);
      expect(await tryUpgrade(ticketUrl(second, body.ticket))).toBe(401);
      const other = await requestConnect(gateway1, alice, undefined, { unreachable: [first] });
      expect(other.body.url).toBe(second);
    });
  });

  describe('resume tickets', () => {
    const keyOf = (ticket: string) =>
      RedisKeys.connectTicket(createHash('sha256').update(ticket).digest('hex'));

    /** A device online through the directory; its hello's resume ticket. */
    async function online(account: TestAccount, deviceId: string) {
      const { body } = await requestConnect(gateway1, account, deviceId, { sync: 'v2' });
      const client = await ParleyTestClient.open(body.url, body.ticket);
      const hello = await client.next<HelloFrame>((f) => f.type === 'hello');
      if (!hello.resumeTicket) throw new Error('the hello carried no resume ticket');
      return { client, hello, url: body.url, resumeTicket: hello.resumeTicket };
    }

    it("a socket's hello carries one: it reopens the device's socket on any gateway, once, and replaces the old socket", async () => {
      const alice = await createAccount(gateway1, 'alice');
      const first = await online(alice, 'phone-1');
      // Only its hash is stored, bound to the user, device and session, for as long as the
      // socket is authorized (the access token's lifetime, not the connect ticket's 30 s).
      expect(JSON.parse((await redis.get(keyOf(first.resumeTicket))) ?? 'null')).toEqual({
        userId: alice.id,
        username: alice.username,
        deviceId: 'phone-1',
        gatewayId: first.hello.gatewayId,
        sessionId: jwtClaims(alice.accessToken).sid,
        expiresAt: jwtClaims(alice.accessToken).exp,
        sync: 'v2',
        resume: true,
      });
      expect(await redis.ttl(keyOf(first.resumeTicket))).toBeGreaterThan(60);

      // On the other gateway, which the ticket never named.
      const other = stack.gateways.map(wsUrlOf).find((u) => u !== first.url) as string;
      const resumed = await ParleyTestClient.open(other, first.resumeTicket);
      const hello = await resumed.next<HelloFrame>((f) => f.type === 'hello');
      expect(hello).toMatchObject({ userId: alice.id, deviceId: 'phone-1' });
      expect(hello.gatewayId).not.toBe(first.hello.gatewayId);
      expect(hello.resumeTicket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hello.resumeTicket).not.toBe(first.resumeTicket);
      expect(await first.client.waitClosed()).toBe(4003);
      expect(await tryUpgrade(ticketUrl(other, first.resumeTicket))).toBe(401);
      resumed.close();
    });

    it('follows an auth renewal, is dropped when its socket ends for good, and is refused once the session ended', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const renewed = await online(alice, 'phone-1');
      const again = await logIn(gateway1, alice.username, alice.password);
      renewed.client.send({ type: 'auth', ref: 'a1', token: again.accessToken });
      await renewed.client.next((f) => f.type === 'auth.ok');
      const grant = JSON.parse((await redis.get(keyOf(renewed.resumeTicket))) ?? 'null') as {
        sessionId: string;
      };
      expect(grant.sessionId).toBe(jwtClaims(again.accessToken).sid);

      // The client says goodbye (1000): it will not resume, so the ticket goes.
      renewed.client.close();
      for (let i = 0; i < 100 && (await redis.exists(keyOf(renewed.resumeTicket))) === 1; i++) {
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(await redis.exists(keyOf(renewed.resumeTicket))).toBe(0);
      expect(await tryUpgrade(ticketUrl(renewed.url, renewed.resumeTicket))).toBe(401);

      // A dropped socket keeps its ticket, until the session behind it ends.
      const dropped = await online(alice, 'laptop-1');
      dropped.client.socket.terminate();
      await dropped.client.waitClosed();
      expect(await redis.exists(keyOf(dropped.resumeTicket))).toBe(1);
      const out = await http('POST', `${gateway1}/v1/auth/logout`, alice, {
        refreshToken: alice.refreshToken,
      });
      expect(out.status).toBe(204);
      expect(await tryUpgrade(ticketUrl(wsUrlOf(gateway2), dropped.resumeTicket))).toBe(401);
    });
  });

  describe('membership', () => {
    it('a non-member can neither read nor post, and nothing is written', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const bob = await createAccount(gateway1, 'bob');
      const eve = await createAccount(gateway2, 'eve');
      const a = await ParleyTestClient.connect(gateway1, alice);
      const first = await sendAccepted(a, { to: bob.username }, 'for bob only');
      const { conversationId } = first;
      await storedRow(alice.id, first.clientMsgId);

      // HTTP: every per-conversation route answers 403 forbidden.
      const history = await http<{ error: { code: string } }>(
        'GET',
        `${gateway2}/v1/conversations/${conversationId}/messages`,
        eve,
      );
      expect(history.status).toBe(403);
      expect(history.body.error.code).toBe('forbidden');
      const read = await http('POST', `${gateway2}/v1/conversations/${conversationId}/read`, eve, {
        seq: 1,
      });
      expect(read.status).toBe(403);
      // A conversation that does not exist looks the same.
      const missing = await http(
        'GET',
        `${gateway2}/v1/conversations/1763900000000-${'0'.repeat(32)}/messages`,
        eve,
      );
      expect(missing.status).toBe(403);
      const list = await http<{ conversations: unknown[] }>(
        'GET',
        `${gateway2}/v1/conversations`,
        eve,
      );
      expect(list.body.conversations).toEqual([]);

      // WebSocket: history, send, read and delivered frames all get `forbidden`.
      const e = await ParleyTestClient.connect(gateway2, eve);
      e.send({ type: 'history', ref: 'h1', conversationId });
      expect(await e.next(isError)).toMatchObject({ code: 'forbidden', ref: 'h1' });
      const forbiddenId = randomUUID();
      e.send({ type: 'send', clientMsgId: forbiddenId, conversationId, text: 'let me in' });
      expect(await e.next(isError)).toMatchObject({ code: 'forbidden', clientMsgId: forbiddenId });
      e.send({ type: 'read', ref: 'r1', conversationId, seq: 1 });
      expect(await e.next(isError)).toMatchObject({ code: 'forbidden', ref: 'r1' });
      e.send({ type: 'delivered', ref: 'd1', conversationId, seq: 1 });
      expect(await e.next(isError)).toMatchObject({ code: 'forbidden', ref: 'd1' });

      // Eve's socket still works: her own first contact is stored, the refused send never is.
      const own = await sendAccepted(e, { to: alice.username }, 'hello alice');
      expect(own.conversationId).not.toBe(conversationId);
      await storedRow(eve.id, own.clientMsgId);
      expect(await countByClientMsgId(forbiddenId)).toBe(0);
      const members = await db.query<{ user_id: string }>(
        'SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY user_id',
        [conversationId],
      );
      expect(members.rows.map((r) => r.user_id)).toEqual([alice.id, bob.id].sort());
      const rows = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
        [conversationId],
      );
      expect(rows.rows[0].n).toBe(1);
      a.close();
      e.close();
    });
  });

  describe('frames', () => {
    it('refuses a sender in the frame and attributes a normal send to the socket user', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const bob = await createAccount(gateway1, 'bob');
      const a = await ParleyTestClient.connect(gateway1, alice);
      for (const field of ['senderId', 'from']) {
        const clientMsgId = randomUUID();
        a.send({ type: 'send', clientMsgId, to: bob.username, text: 'spoof', [field]: bob.id });
        const error = await a.next<ErrorFrame>((f) => isError(f) && f.clientMsgId === clientMsgId);
        expect(error.code).toBe('validation_failed');
        expect(error.message).toContain(field);
        expect(await countByClientMsgId(clientMsgId)).toBe(0);
      }
      const ok = await sendAccepted(a, { to: bob.username }, 'really from alice');
      const row = await storedRow(alice.id, ok.clientMsgId);
      expect(row).toMatchObject({ sender_id: alice.id, body: 'really from alice' });
      a.close();
    });

    it('answers malformed JSON, an unknown type and over-long text with errors; the socket keeps working', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const bob = await createAccount(gateway1, 'bob');
      const a = await ParleyTestClient.connect(gateway1, alice);

      a.send('{"type": "send", oops');
      expect(await a.next(isError)).toMatchObject({ code: 'validation_failed' });

      a.send({ type: 'teleport', ref: 't1' });
      const unknown = await a.next<ErrorFrame>(isError);
      expect(unknown).toMatchObject({ code: 'validation_failed', ref: 't1' });
      expect(unknown.message).toContain('teleport');

      const tooLong = randomUUID();
      a.send({ type: 'send', clientMsgId: tooLong, to: bob.username, text: 'a'.repeat(4001) });
      const long = await a.next<ErrorFrame>(isError);
      expect(long).toMatchObject({ code: 'validation_failed', clientMsgId: tooLong });
      expect(long.message).toContain('text');

      const empty = randomUUID();
      a.send({ type: 'send', clientMsgId: empty, to: bob.username, text: '' });
      expect(await a.next(isError)).toMatchObject({
        code: 'validation_failed',
        clientMsgId: empty,
      });

      const nobody = randomUUID();
      a.send({ type: 'send', clientMsgId: nobody, to: 'no_such_user_xyz', text: 'hi' });
      expect(await a.next(isError)).toMatchObject({ code: 'not_found', clientMsgId: nobody });

      // 4,000 code points is the limit, not 4,000 UTF-16 units.
      const emoji = await sendAccepted(a, { to: bob.username }, '😀'.repeat(4000));
      const ok = await sendAccepted(a, { to: bob.username }, 'still here');
      expect(ok.conversationId).toBe(emoji.conversationId);
      await storedRow(alice.id, ok.clientMsgId);
      expect(await countByClientMsgId(tooLong)).toBe(0);
      expect(a.closeCode).toBeUndefined();
      a.close();
    });

    it('closes a socket sending a frame over the payload limit with 1009 and stores nothing', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const bob = await createAccount(gateway1, 'bob');
      const a = await ParleyTestClient.connect(gateway1, alice);
      const huge = randomUUID();
      a.send({
        type: 'send',
        clientMsgId: huge,
        to: bob.username,
        text: 'x'.repeat(DEFAULT_MAX_FRAME_BYTES + 1000),
      });
      expect(await a.waitClosed()).toBe(1009);

      const again = await ParleyTestClient.connect(gateway1, alice);
      const marker = await sendAccepted(again, { to: bob.username }, 'after the big one');
      await storedRow(alice.id, marker.clientMsgId);
      expect(await countByClientMsgId(huge)).toBe(0);
      again.close();
    });
  });

  describe('reads', () => {
    it('history pages, the conversation list with unread counts, contacts and user search', async () => {
      const alice = await createAccount(gateway1, 'alice');
      const bob = await createAccount(gateway1, 'bob');
      const opened = await http<{ conversation: { id: string; members: unknown[] } }>(
        'POST',
        `${gateway1}/v1/conversations`,
        alice,
        { with: bob.username.toUpperCase() },
      );
      expect(opened.status).toBe(200);
      const conversationId = opened.body.conversation.id;
      expect(conversationId).toMatch(/^\d{13}-[0-9a-f]{32}$/);
      // Bob's side of the pair is the same conversation.
      const fromBob = await http<{ conversation: { id: string } }>(
        'POST',
        `${gateway2}/v1/conversations`,
        bob,
        { with: alice.username },
      );
      expect(fromBob.body.conversation.id).toBe(conversationId);

      const a = await ParleyTestClient.connect(gateway1, alice);
      let last = '';
      for (let i = 1; i <= 12; i++) {
        last = (await sendAccepted(a, { conversationId }, `m${i}`)).clientMsgId;
      }
      await storedRow(alice.id, last);

      const page = await http<{ messages: { seq: number }[]; hasMore: boolean }>(
        'GET',
        `${gateway2}/v1/conversations/${conversationId}/messages`,
        bob,
      );
      expect(page.status).toBe(200);
      expect(page.body.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(page.body.hasMore).toBe(true);
      const older = await http<{ messages: { seq: number }[]; hasMore: boolean }>(
        'GET',
        `${gateway2}/v1/conversations/${conversationId}/messages?beforeSeq=3&limit=500`,
        bob,
      );
      expect(older.body).toMatchObject({ hasMore: false });
      expect(older.body.messages.map((m) => m.seq)).toEqual([1, 2]);

      a.send({ type: 'history', ref: 'h', conversationId, beforeSeq: 12, limit: 2 });
      const wsPage = await a.next<HistoryPageFrame>((f) => f.type === 'history.page');
      expect(wsPage).toMatchObject({ ref: 'h', conversationId, hasMore: true });
      expect(wsPage.messages.map((m) => m.text)).toEqual(['m10', 'm11']);

      const list = await http<{
        conversations: { id: string; unread: number; lastSeq: number; members: unknown[] }[];
      }>('GET', `${gateway2}/v1/conversations`, bob);
      expect(list.body.conversations).toHaveLength(1);
      expect(list.body.conversations[0]).toMatchObject({
        id: conversationId,
        kind: 'direct',
        lastSeq: 12,
        readSeq: 0,
        unread: 12,
        lastMessage: { seq: 12, senderId: alice.id, text: 'm12' },
      });
      expect(list.body.conversations[0].members).toHaveLength(2);
      const aliceList = await http<{ conversations: { unread: number }[] }>(
        'GET',
        `${gateway1}/v1/conversations`,
        alice,
      );
      expect(aliceList.body.conversations[0].unread).toBe(0);
      const tooFar = await http(
        'POST',
        `${gateway2}/v1/conversations/${conversationId}/read`,
        bob,
        {
          seq: 13,
        },
      );
      expect(tooFar.status).toBe(400);
      const read = await http('POST', `${gateway2}/v1/conversations/${conversationId}/read`, bob, {
        seq: 10,
      });
      expect(read.status).toBe(204);

      // Sync for a fresh device of Bob: everything, in seq order, in pages.
      const b = await ParleyTestClient.connect(gateway2, bob, `bob-${randomUUID().slice(0, 8)}`);
      b.send({ type: 'sync', limit: 5 });
      const p1 = await b.next<SyncPageFrame>((f) => f.type === 'sync.page');
      expect(p1.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(p1.done).toBe(false);
      b.send({ type: 'sync', after: p1.next, limit: 10 });
      const p2 = await b.next<SyncPageFrame>((f) => f.type === 'sync.page');
      expect(p2.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12]);
      expect(p2.done).toBe(true);
      b.send({ type: 'sync', after: 'garbage!' });
      expect(await b.next(isError)).toMatchObject({ code: 'validation_failed' });

      // Contacts and user search.
      const search = await http<{ users: { username: string }[] }>(
        'GET',
        `${gateway1}/v1/users?prefix=${bob.username.slice(0, 8).toUpperCase()}`,
        alice,
      );
      expect(search.body.users.map((u) => u.username)).toContain(bob.username);
      expect((await http('PUT', `${gateway1}/v1/contacts/${bob.username}`, alice)).status).toBe(
        201,
      );
      expect((await http('PUT', `${gateway1}/v1/contacts/${bob.username}`, alice)).status).toBe(
        204,
      );
      expect((await http('PUT', `${gateway1}/v1/contacts/no_such_user_xyz`, alice)).status).toBe(
        404,
      );
      const contacts = await http<{ contacts: { username: string }[] }>(
        'GET',
        `${gateway1}/v1/contacts`,
        alice,
      );
      expect(contacts.body.contacts.map((c) => c.username)).toEqual([bob.username]);
      expect((await http('DELETE', `${gateway1}/v1/contacts/${bob.username}`, alice)).status).toBe(
        204,
      );
      const none = await http<{ contacts: unknown[] }>('GET', `${gateway1}/v1/contacts`, alice);
      expect(none.body.contacts).toEqual([]);
      a.close();
      b.close();
    });
  });
});
