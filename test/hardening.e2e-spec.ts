import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import WebSocket from 'ws';
import type { AckFrame, ErrorFrame, ServerFrame } from '@parley/protocol';
import { createAccount, ParleyTestClient, requestConnect, TestAccount } from '@parley/testing';
import { closedWithin, rawConnection, rawRequest, upgradeHead } from './support/raw-http';
import { TEST_GATEWAY_ENV, testStack, wsUrlOf } from './support/test-stack';

/**
 * The security review's findings, one regression test each, against the real stack: requests that
 * used to crash a gateway, doors without limits, internal endpoints open to anyone, and input
 * that became a 500.
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;
const isError = (f: ServerFrame): f is ErrorFrame => f.type === 'error';
const SOCKET_BURST = Number(TEST_GATEWAY_ENV.SEND_BURST_PER_SOCKET);
const USER_BURST = Number(TEST_GATEWAY_ENV.SEND_BURST_PER_USER);
const MAX_SOCKETS_PER_USER = 16;

let db: Client;
beforeAll(async () => {
  db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db.end();
});

/** The gateway process's start time: unchanged means it did not crash and restart. */
async function startedAt(gateway: string): Promise<string> {
  const text = await (await fetch(`${gateway}/metrics`)).text();
  const match = /^process_start_time_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!match) throw new Error('no process_start_time_seconds in /metrics');
  return match[1];
}

async function storedCount(senderId: string, clientMsgIds: string[]): Promise<number> {
  const r = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1 AND client_msg_id = ANY($2)',
    [senderId, clientMsgIds],
  );
  return r.rows[0].n;
}

/** Sends `n` messages at once; resolves when each got its ack or an error: the two lists of ids. */
async function burst(client: ParleyTestClient, to: string, n: number, text = 'hi') {
  const ids = Array.from({ length: n }, () => randomUUID());
  for (const clientMsgId of ids) client.send({ type: 'send', clientMsgId, to, text });
  const outcomes = await Promise.all(
    ids.map((clientMsgId) =>
      client.next<AckFrame | ErrorFrame>(
        (f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId,
        60_000,
      ),
    ),
  );
  return {
    acked: ids.filter((_, i) => outcomes[i].type === 'ack'),
    refused: outcomes.filter(isError),
  };
}

describe('the upgrade path never crashes a gateway', () => {
  it.each(['//[', 'http://[', '/ws?ticket=%zz%', '/%', `/ws?ticket=${'A'.repeat(5000)}`])(
    'answers an upgrade to %j with a 4xx, and the gateway keeps running',
    async (target) => {
      const before = await startedAt(gateway1);
      const { status } = await rawRequest(gateway1, upgradeHead(target));
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(await startedAt(gateway1)).toBe(before);
      const alice = await createAccount(gateway1, 'alice');
      const client = await ParleyTestClient.connect(gateway1, alice);
      client.close();
    },
  );

  it("checks the Origin of browser handshakes: a foreign page is refused with 403, the gateways' own pages and native clients are let in", async () => {
    const alice = await createAccount(gateway1, 'alice');
    const open = async (origin?: string) => {
      const answer = await requestConnect(gateway1, alice);
      return ParleyTestClient.open(answer.body.url, answer.body.ticket, { origin }).then(
        (c) => {
          c.close();
          return 'open';
        },
        (err: Error) => err.message,
      );
    };
    expect(await open('https://evil.example')).toBe('upgrade refused: 403');
    expect(await open('null')).toBe('upgrade refused: 403');
    expect(await open(gateway1)).toBe('open');
    expect(await open(gateway2)).toBe('open');
    expect(await open(undefined)).toBe('open');
  });
});

describe('HTTP limits', () => {
  it('cuts off clients that trickle their request head or body', async () => {
    const headers = await Promise.all(Array.from({ length: 20 }, () => rawConnection(gateway1)));
    const body = await Promise.all(Array.from({ length: 5 }, () => rawConnection(gateway2)));
    for (const c of headers) c.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n');
    for (const c of body) {
      c.socket.write(
        'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
    }
    const trickle = setInterval(() => {
      for (const c of headers) if (!c.socket.destroyed) c.socket.write('X-Slow: 1\r\n');
      for (const c of body) if (!c.socket.destroyed) c.socket.write(' ');
    }, 500);
    try {
      const answers = await Promise.all([...headers, ...body].map((c) => closedWithin(c, 30_000)));
      for (const answer of answers)
        expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      clearInterval(trickle);
    }
  }, 40_000);

  it('answers an unsupported charset or content encoding with 415, not 500', async () => {
    const cases: Record<string, string>[] = [
      { 'content-type': 'application/json; charset=ibm-1047' },
      { 'content-type': 'application/json', 'content-encoding': 'x-unknown' },
    ];
    for (const headers of cases) {
      const res = await fetch(`${gateway1}/v1/auth/login`, {
        method: 'POST',
        headers,
        body: '{"username":"a","password":"b"}',
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as ErrorFrame & { error: { code: string } }).error.code).toBe(
        'unsupported_media_type',
      );
    }
  });

  it('sends no framework banner and lets no cache keep token or ticket answers', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const login = await fetch(`${gateway2}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: alice.username, password: alice.password }),
    });
    const connect = await fetch(`${gateway1}/v1/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.accessToken}` },
      body: '{}',
    });
    for (const res of [login, connect]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
      await res.text();
    }
  });

  it('refuses a seq beyond what JavaScript represents exactly, as validation, on HTTP and on the socket', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const client = await ParleyTestClient.connect(gateway1, alice);
    const first = await burst(client, bob.username, 1);
    const conversationId = (
      await db.query<{ conversation_id: string }>(
        'SELECT conversation_id FROM messages WHERE client_msg_id = $1',
        [first.acked[0]],
      )
    ).rows[0].conversation_id;
    for (const frame of [
      { type: 'read', ref: 'r', conversationId, seq: 1e20 },
      { type: 'delivered', ref: 'd', conversationId, seq: 1e20 },
      { type: 'history', ref: 'h', conversationId, beforeSeq: 1e20 },
    ]) {
      client.send(frame);
      expect(await client.next(isError)).toMatchObject({
        code: 'validation_failed',
        ref: frame.ref,
      });
    }
    const res = await fetch(
      `${gateway1}/v1/conversations/${conversationId}/messages?beforeSeq=1e20`,
      {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      },
    );
    expect(res.status).toBe(400);
    client.close();
  });
});

describe('internal endpoints', () => {
  const viaProxy = { 'x-forwarded-for': '203.0.113.9' };

  it('answer only this machine: metrics and the gateway directory refuse a request a proxy forwarded', async () => {
    for (const url of [
      `${gateway1}/metrics`,
      `${stack.session}/metrics`,
      `${stack.session}/v1/gateways`,
      `${stack.presence}/metrics`,
      `${stack.storage}/metrics`,
    ]) {
      const outside = await fetch(url, { headers: viaProxy });
      expect({ url, status: outside.status }).toEqual({ url, status: 403 });
      await outside.text();
      // From this machine, directly: answered.
      const local = await fetch(url);
      expect({ url, status: local.status }).toEqual({ url, status: 200 });
      await local.text();
    }
    const ready = await fetch(`${gateway1}/health/ready`, { headers: viaProxy });
    expect(ready.status).toBe(200);
  });

  it('collects garbage for a memory reading only for this machine, and at most once per 10 s', async () => {
    const url = `${gateway1}/metrics/memory`;
    const outside = await fetch(url, { method: 'POST', headers: viaProxy });
    expect(outside.status).toBe(403);
    await outside.text();
    const first = await fetch(url, { method: 'POST' });
    expect(first.status).toBe(200);
    const reading = (await first.json()) as { rssBytes: number; collectedAt: string };
    expect(reading.rssBytes).toBeGreaterThan(10 * 1048576);
    // A second call within the interval is answered with the same reading: no second collection.
    const again = (await (await fetch(url, { method: 'POST' })).json()) as typeof reading;
    expect(again).toEqual(reading);
  });
});

describe('user search', () => {
  it('matches `_` literally, not as a wildcard', async () => {
    const underscored = await createAccount(gateway1, '_x');
    const alice = await createAccount(gateway1, 'alice');
    const res = await fetch(`${gateway1}/v1/users?prefix=_&limit=50`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    const body = (await res.json()) as { users: { username: string }[] };
    expect(res.status).toBe(200);
    expect(body.users.length).toBeGreaterThan(0);
    expect(body.users.every((u) => u.username.startsWith('_'))).toBe(true);
    expect(body.users.map((u) => u.username)).toContain(underscored.username);
  });

  it('is throttled per user (429 past 60 a minute), other users unaffected', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const search = async (who: TestAccount, gateway: string) => {
      const res = await fetch(`${gateway}/v1/users?prefix=al`, {
        headers: { authorization: `Bearer ${who.accessToken}` },
      });
      await res.text();
      return res;
    };
    for (let i = 0; i < 60; i++)
      expect((await search(alice, i % 2 ? gateway1 : gateway2)).status).toBe(200);
    const refused = await search(alice, gateway1);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await search(bob, gateway1)).status).toBe(200);
  });
});

describe('sockets per user and per device', () => {
  it(`refuses the ${MAX_SOCKETS_PER_USER + 1}th socket of one user with 429, over both gateways`, async () => {
    const alice = await createAccount(gateway1, 'alice');
    const sockets = [];
    for (let i = 0; i < MAX_SOCKETS_PER_USER; i++) {
      sockets.push(
        await ParleyTestClient.connect(i % 2 ? gateway1 : gateway2, alice, `device-${i}`),
      );
    }
    const answer = await requestConnect(gateway1, alice, 'one-too-many');
    await expect(ParleyTestClient.open(answer.body.url, answer.body.ticket)).rejects.toThrow(
      'upgrade refused: 429',
    );
    // A closed socket frees its place (released when the gateway sees the close).
    sockets.pop()?.close();
    let reopened: ParleyTestClient | undefined;
    for (let attempt = 0; attempt < 20 && !reopened; attempt++) {
      reopened = await ParleyTestClient.connect(gateway1, alice, 'one-too-many').catch(
        () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 200)),
      );
    }
    expect(reopened).toBeDefined();
    for (const s of [...sockets, reopened]) s?.close();
  });

  it('replaces the older socket of the same device (4003), on the other gateway too: a message arrives once', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const old = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice, 'phone');
    const fresh = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), alice, 'phone');
    expect(await old.waitClosed()).toBe(4003);
    const b = await ParleyTestClient.connect(gateway1, bob);
    const sent = await burst(b, alice.username, 1, 'for your phone');
    expect(sent.acked).toHaveLength(1);
    await fresh.next((f) => f.type === 'message' && f.message.clientMsgId === sent.acked[0]);
    expect(old.frames.filter((f) => f.type === 'message')).toHaveLength(0);
    fresh.close();
    b.close();
  });
});

describe('send budgets', () => {
  it('refuses a socket sending faster than its budget with rate_limited and retryAfterMs; nothing refused is stored', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const client = await ParleyTestClient.connect(gateway1, alice);
    const { acked, refused } = await burst(client, bob.username, SOCKET_BURST + 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThanOrEqual(SOCKET_BURST);
    // The first refusal starts a cool-down of at least a second; later ones say what is left of it.
    expect(refused[0].retryAfterMs).toBeGreaterThanOrEqual(1000);
    for (const error of refused) {
      expect(error.code).toBe('rate_limited');
      expect(error.retryAfterMs).toBeGreaterThan(0);
    }
    expect(await storedCount(alice.id, acked)).toBe(acked.length);
    expect(
      await storedCount(
        alice.id,
        refused.map((e) => e.clientMsgId ?? ''),
      ),
    ).toBe(0);
    // Another user is not slowed by it.
    const other = await ParleyTestClient.connect(gateway1, bob);
    expect((await burst(other, alice.username, 5)).acked).toHaveLength(5);
    client.close();
    other.close();
  });

  it("shares one budget over all of a user's sockets on every gateway", async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const one = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice, 'phone');
    const two = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), alice, 'laptop');
    // Each socket stays under its own budget; together they exceed the user's.
    const each = Math.floor((USER_BURST + 400) / 2);
    expect(each).toBeLessThan(SOCKET_BURST);
    const [a, b] = await Promise.all([
      burst(one, bob.username, each),
      burst(two, bob.username, each),
    ]);
    const refused = [...a.refused, ...b.refused];
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((e) => String(e.code)))).toEqual(new Set(['rate_limited']));
    const acked = [...a.acked, ...b.acked];
    expect(await storedCount(alice.id, acked)).toBe(acked.length);
    one.close();
    two.close();
  });
});

describe('Kafka request sizes', () => {
  it('stores 500 legal sends of 4,000 CJK characters (12 KB each): every one acked, none unavailable, others unaffected', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const carol = await createAccount(gateway1, 'carol');
    const a = await ParleyTestClient.connect(gateway1, alice);
    const c = await ParleyTestClient.connect(gateway1, carol);
    const [big, small] = await Promise.all([
      burst(a, bob.username, 500, '字'.repeat(4000)),
      burst(c, bob.username, 50, 'meanwhile'),
    ]);
    expect(big.refused).toEqual([]);
    expect(small.refused).toEqual([]);
    expect(await storedCount(alice.id, big.acked)).toBe(500);
    a.close();
    c.close();
  }, 90_000);
});

describe('per-socket queues', () => {
  it('reads a flood of big frames at the pace it handles them (backpressure): every frame answered, none refused, the socket stays open', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const client = await ParleyTestClient.connect(gateway1, alice);
    const { acked } = await burst(client, bob.username, 1);
    const conversationId = (
      await db.query<{ conversation_id: string }>(
        'SELECT conversation_id FROM messages WHERE client_msg_id = $1',
        [acked[0]],
      )
    ).rows[0].conversation_id;
    // 300 valid 15 KB frames (whitespace-padded history requests): 4.5 MB, past the 1 MiB the
    // socket may hold unhandled.
    const padded = (i: number) =>
      `{"type":"history",${' '.repeat(15_000)}"ref":"h${i}","conversationId":"${conversationId}","limit":1}`;
    for (let i = 0; i < 300; i++) client.socket.send(padded(i));
    for (let i = 0; i < 300; i++) {
      await client.next((f) => f.type === 'history.page' && f.ref === `h${i}`, 30_000);
    }
    expect(client.frames.filter(isError)).toEqual([]);
    expect(client.closeCode).toBeUndefined();
    client.close();
  });

  it('closes a socket that stops reading once its outgoing data backs up (1013)', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const client = await ParleyTestClient.connect(gateway1, alice);
    const { acked } = await burst(client, bob.username, 100, '字'.repeat(4000));
    expect(acked).toHaveLength(100);
    const conversationId = (
      await db.query<{ conversation_id: string }>(
        'SELECT conversation_id FROM messages WHERE client_msg_id = $1',
        [acked[0]],
      )
    ).rows[0].conversation_id;
    const raw = (client.socket as WebSocket & { _socket: { pause(): void; resume(): void } })
      ._socket;
    raw.pause();
    // 40 pages of 100 messages of 12 KB: ~48 MB asked for, not read.
    for (let i = 0; i < 40; i++) client.send({ type: 'history', conversationId, limit: 100 });
    await new Promise((r) => setTimeout(r, 3000));
    raw.resume();
    expect(await client.waitClosed(40_000)).toBe(1013);
  }, 60_000);
});

describe('heartbeats', () => {
  const PING_INTERVAL_MS = Number(TEST_GATEWAY_ENV.WS_PING_INTERVAL_MS);

  it('cuts off a socket that stops answering pings within two ping intervals; a socket that answers stays', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const answering = await ParleyTestClient.connect(gateway1, alice, 'answers');
    let answeringPings = 0;
    answering.socket.on('ping', () => answeringPings++);
    const answer = await requestConnect(gateway1, alice, 'silent');
    const silent = new WebSocket(
      `${answer.body.url}?ticket=${encodeURIComponent(answer.body.ticket)}`,
      { autoPong: false },
    );
    let silentPings = 0;
    silent.on('ping', () => silentPings++);
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      silent.once('open', resolve);
      silent.once('error', reject);
    });
    const deadline = new Promise<'still open'>((resolve) =>
      setTimeout(() => resolve('still open'), 2 * PING_INTERVAL_MS + 3000).unref(),
    );
    // Terminated, not closed: no close frame comes (1006).
    expect(await Promise.race([closed, deadline])).toBe(1006);
    expect(silentPings).toBe(1);
    expect(answeringPings).toBeGreaterThanOrEqual(1);
    expect(answering.closeCode).toBeUndefined();
    answering.close();
  }, 30_000);
});
