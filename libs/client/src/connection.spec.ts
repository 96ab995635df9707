import { ApiClient, type FetchLike } from './api-client';
import { Connection, type ConnectionState } from './connection';
import { type Handshake, UpgradeRefusedError, type WebSocketLike } from './socket';
import { signedInCredentials } from '@parley/testing/signed-in.fixture';

const HTTP = 'http://127.0.0.1:3000';

/** A fake gateway's HTTP side: `/v1/connect` answers a ticket; `/v1/auth/refresh` a new pair. */
function fakeFetch(): { fetch: FetchLike; calls: string[] } {
  const calls: string[] = [];
  let n = 0;
  const json = (status: number, body: unknown) =>
    Promise.resolve(new Response(JSON.stringify(body), { status }));
  const fetch: FetchLike = (url) => {
    const path = new URL(url).pathname;
    calls.push(path);
    if (path === '/v1/connect') {
      return json(200, {
        url: 'ws://127.0.0.1:3000/ws',
        backups: ['ws://127.0.0.1:3001/ws'],
        ticket: ticketNo(++n),
        deviceId: 'dev-1',
        gatewayId: 'gateway-1',
        expiresIn: 30,
      });
    }
    if (path === '/v1/auth/refresh') {
      return json(200, {
        accessToken: `fresh-${++n}`,
        refreshToken: 'R'.repeat(43),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
    }
    return json(404, { error: { code: 'not_found', message: 'no' } });
  };
  return { fetch, calls };
}

/** A ticket as the gateway makes them (43 base64url characters), numbered. */
const ticketNo = (n: number) => `${'T'.repeat(42)}${n}`;

/** Sockets the test drives: open them, hand them frames, close them with a code. */
class FakeSockets {
  readonly made: FakeSocket[] = [];
  readonly factory = (url: string, _onPing?: () => void, handshake?: Handshake) => {
    const socket = new FakeSocket(url, handshake?.headers);
    this.made.push(socket);
    return socket;
  };
  get last(): FakeSocket {
    return this.made[this.made.length - 1];
  }
}

class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: unknown[] = [];
  private readonly listeners = new Map<string, ((event: never) => void)[]>();
  constructor(
    readonly url: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {}
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.fire('close', { code, reason: '' });
  }
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  hello(
    expiresAt = new Date(Date.now() + 15 * 60_000).toISOString(),
    heartbeatMs = 15000,
    resumeTicket?: string,
    backups?: string[],
  ): void {
    this.fire('message', {
      data: JSON.stringify({
        type: 'hello',
        connectionId: '11111111-1111-4111-8111-111111111111',
        userId: '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c',
        username: 'alice',
        deviceId: 'dev-1',
        gatewayId: 'gateway-1',
        heartbeatMs,
        expiresAt,
        ...(resumeTicket ? { resumeTicket } : {}),
        ...(backups ? { backups } : {}),
      }),
    });
  }
  fail(): void {
    this.fire('error', {});
    this.fire('close', { code: 1006, reason: '' });
  }
  /** The gateway answered the upgrade with an HTTP error (as Node's `ws` reports it). */
  refuse(status: number): void {
    this.fire('error', { error: new UpgradeRefusedError(status) });
    this.fire('close', { code: 1006, reason: '' });
  }
  drop(code: number): void {
    this.readyState = 3;
    this.fire('close', { code, reason: '' });
  }
  private fire(type: string, event: unknown): void {
    for (const l of this.listeners.get(type) ?? []) (l as (e: unknown) => void)(event);
  }
}

/** Lets the fake server's answers (promises, response bodies) settle. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** `headers`: the platform sends headers with an upgrade (Node), so sockets may open directly. */
function setup({ headers = false } = {}) {
  const http = fakeFetch();
  const sockets = new FakeSockets();
  const api = new ApiClient({
    server: HTTP,
    fetch: http.fetch,
    credentials: signedInCredentials(HTTP),
  });
  const connection = new Connection({
    api,
    deviceId: 'dev-1',
    sockets: headers
      ? Object.assign(sockets.factory, { bearer: 'header' as const })
      : sockets.factory,
    random: () => 0.5,
  });
  const states: ConnectionState[] = [];
  connection.events.on('state', (s) => states.push(s));
  return { connection, sockets, http, states };
}

describe('Connection', () => {
  beforeEach(() =>
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'setImmediate', 'nextTick'] }),
  );
  afterEach(() => jest.useRealTimers());

  it('connects through the directory with a ticket and is online at the hello', async () => {
    const t = setup();
    t.connection.start();
    await flush();
    expect(t.http.calls).toEqual(['/v1/connect']);
    expect(t.sockets.last.url).toBe(`ws://127.0.0.1:3000/ws?ticket=${ticketNo(1)}`);
    t.sockets.last.open();
    t.sockets.last.hello();
    await flush();
    expect(t.connection.isOnline).toBe(true);
    expect(t.states.at(-1)).toEqual({
      kind: 'online',
      gatewayId: 'gateway-1',
      url: 'ws://127.0.0.1:3000/ws',
    });
  });

  describe('where the platform sends headers with an upgrade', () => {
    it('opens the socket directly on the API gateway with the access token, no directory round; a drop resumes on a backup its hello named', async () => {
      const t = setup({ headers: true });
      t.connection.start();
      await flush();
      expect(t.http.calls).toEqual([]);
      expect(t.sockets.last.url).toBe('ws://127.0.0.1:3000/ws?device=dev-1');
      expect(t.sockets.last.headers).toEqual({ authorization: 'Bearer a' });
      t.sockets.last.open();
      const resume = 'R'.repeat(42) + 'y';
      t.sockets.last.hello(undefined, undefined, resume, ['ws://127.0.0.1:3001/ws']);
      await flush();
      expect(t.states.at(-1)).toMatchObject({ kind: 'online', url: 'ws://127.0.0.1:3000/ws' });
      t.sockets.last.drop(1006);
      jest.advanceTimersByTime(50);
      await flush();
      expect(t.http.calls).toEqual([]);
      expect(t.sockets.last.url).toBe(`ws://127.0.0.1:3001/ws?ticket=${resume}`);
    });

    it('asks the directory in the same attempt when the gateway refuses (421: busier than the others), without backing off', async () => {
      const t = setup({ headers: true });
      t.connection.start();
      await flush();
      t.sockets.last.refuse(421);
      await flush();
      expect(t.http.calls).toEqual(['/v1/connect']);
      expect(t.sockets.last.url).toBe(`ws://127.0.0.1:3000/ws?ticket=${ticketNo(1)}`);
      expect(t.sockets.last.headers).toBeUndefined();
      expect(t.states.filter((s) => s.kind === 'offline')).toEqual([]);
    });

    it('asks the directory when the API gateway cannot be reached, and does not try it directly again while it is remembered as unreachable', async () => {
      const t = setup({ headers: true });
      t.connection.start();
      await flush();
      t.sockets.last.fail();
      await flush();
      expect(t.http.calls).toEqual(['/v1/connect']);
      t.sockets.last.fail();
      await flush();
      t.sockets.last.fail();
      await flush();
      // Both directory gateways failed too: the next attempt, after the back-off, asks the
      // directory again instead of the gateway it could not reach a moment ago.
      jest.advanceTimersByTime(250);
      await flush();
      expect(t.sockets.made.map((s) => s.url.split('?')[1])).toEqual([
        'device=dev-1',
        `ticket=${ticketNo(1)}`,
        `ticket=${ticketNo(1)}`,
        `ticket=${ticketNo(2)}`,
      ]);
    });
  });

  it('reconnects with a fresh ticket after a drop, backing off', async () => {
    const t = setup();
    t.connection.start();
    await flush();
    t.sockets.last.open();
    t.sockets.last.hello();
    await flush();
    t.sockets.last.drop(1006);
    expect(t.states.at(-1)).toMatchObject({ kind: 'offline', retryInMs: 188 });
    jest.advanceTimersByTime(188);
    await flush();
    expect(t.sockets.made).toHaveLength(2);
    expect(t.sockets.last.url).toContain(`ticket=${ticketNo(2)}`);
  });

  it('stops for good when the session ended (4001) or the device connected elsewhere (4003)', async () => {
    for (const code of [4001, 4003]) {
      const t = setup();
      t.connection.start();
      await flush();
      t.sockets.last.open();
      t.sockets.last.hello();
      await flush();
      t.sockets.last.drop(code);
      jest.advanceTimersByTime(60_000);
      await flush();
      expect(t.sockets.made).toHaveLength(1);
      expect(t.states.at(-1)).toMatchObject({ kind: 'stopped', reason: expect.any(String) });
    }
  });

  it('renews the socket with a fresh access token a minute before it expires', async () => {
    const t = setup();
    t.connection.start();
    await flush();
    t.sockets.last.open();
    // (Pings every 10 minutes, so the silence watchdog stays out of this test.)
    t.sockets.last.hello(new Date(Date.now() + 5 * 60_000).toISOString(), 600_000);
    await flush();
    jest.advanceTimersByTime(4 * 60_000 - 1);
    await flush();
    expect(t.sockets.last.sent).toEqual([]);
    jest.advanceTimersByTime(1);
    await flush();
    expect(t.http.calls).toEqual(['/v1/connect', '/v1/auth/refresh']);
    expect(t.sockets.last.sent).toEqual([
      { type: 'auth', token: expect.stringMatching(/^fresh-/) },
    ]);
  });

  it('treats a socket that stops hearing pings as dead and reconnects', async () => {
    const t = setup();
    t.connection.start();
    await flush();
    t.sockets.last.open();
    t.sockets.last.hello();
    await flush();
    jest.advanceTimersByTime(15_000 * 2 + 5_000);
    expect(t.states.at(-1)).toMatchObject({ kind: 'offline' });
  });

  it('tries the backups with the same ticket when the chosen gateway cannot be reached', async () => {
    const t = setup();
    t.connection.start();
    await flush();
    t.sockets.last.fail();
    await flush();
    expect(t.sockets.made.map((s) => s.url)).toEqual([
      `ws://127.0.0.1:3000/ws?ticket=${ticketNo(1)}`,
      `ws://127.0.0.1:3001/ws?ticket=${ticketNo(1)}`,
    ]);
    t.sockets.last.open();
    t.sockets.last.hello();
    await flush();
    expect(t.states.at(-1)).toMatchObject({ kind: 'online', url: 'ws://127.0.0.1:3001/ws' });
  });

  describe("resuming after a drop with the hello's resume ticket", () => {
    const RESUME = 'R'.repeat(42) + 'x';

    async function online(resumeTicket: string, expiresAt?: string, heartbeatMs?: number) {
      const t = setup();
      t.connection.start();
      await flush();
      t.sockets.last.open();
      t.sockets.last.hello(expiresAt, heartbeatMs, resumeTicket);
      await flush();
      return t;
    }

    /** The socket drops with `code`; the first retry (50 ms with this jitter) starts. */
    async function dropAndRetry(t: Awaited<ReturnType<typeof online>>, code: number) {
      t.sockets.last.drop(code);
      jest.advanceTimersByTime(50);
      await flush();
    }

    it('opens the next socket on a backup with it, without asking the directory', async () => {
      const t = await online(RESUME);
      t.sockets.last.drop(1006);
      // At once (within 100 ms), not after the backoff's first 125-250 ms.
      expect(t.states.at(-1)).toMatchObject({ kind: 'offline', retryInMs: 50 });
      jest.advanceTimersByTime(49);
      await flush();
      expect(t.sockets.made).toHaveLength(1);
      jest.advanceTimersByTime(1);
      await flush();
      expect(t.http.calls).toEqual(['/v1/connect']);
      expect(t.sockets.last.url).toBe(`ws://127.0.0.1:3001/ws?ticket=${RESUME}`);
      t.sockets.last.open();
      t.sockets.last.hello();
      await flush();
      expect(t.states.at(-1)).toMatchObject({ kind: 'online', url: 'ws://127.0.0.1:3001/ws' });
    });

    it('goes on to the directory when every known gateway is unreachable', async () => {
      const t = await online(RESUME);
      await dropAndRetry(t, 1006);
      t.sockets.last.fail();
      await flush();
      expect(t.http.calls).toEqual(['/v1/connect', '/v1/connect']);
      expect(t.sockets.made.map((s) => s.url.split('?')[1])).toEqual([
        `ticket=${ticketNo(1)}`,
        `ticket=${RESUME}`,
        `ticket=${ticketNo(2)}`,
      ]);
    });

    it('asks the directory, not another gateway, once a gateway refused the ticket', async () => {
      const t = await online(RESUME);
      // A clean close from the server (1000): the same gateway is still a candidate.
      await dropAndRetry(t, 1000);
      expect(t.sockets.last.url).toBe(`ws://127.0.0.1:3000/ws?ticket=${RESUME}`);
      t.sockets.last.refuse(401);
      await flush();
      expect(t.http.calls).toEqual(['/v1/connect', '/v1/connect']);
      expect(t.sockets.made).toHaveLength(3);
      expect(t.sockets.last.url).toContain(`ticket=${ticketNo(2)}`);
    });

    it("uses a ticket once, and never after its socket's authorization ended", async () => {
      const t = await online(RESUME);
      await dropAndRetry(t, 1006);
      t.sockets.last.open();
      t.sockets.last.drop(1006); // dropped again before any hello: no ticket is left
      jest.advanceTimersByTime(1_000);
      await flush();
      expect(t.http.calls).toEqual(['/v1/connect', '/v1/connect']);

      // A socket authorized for two more minutes (pings every 10 minutes, so no watchdog here)
      // whose renewal got no answer: past its expiry the ticket is not tried.
      const late = await online(RESUME, new Date(Date.now() + 2 * 60_000).toISOString(), 600_000);
      jest.advanceTimersByTime(2 * 60_000);
      await flush();
      late.sockets.last.drop(1006);
      jest.advanceTimersByTime(1_000);
      await flush();
      expect(late.http.calls).toEqual(['/v1/connect', '/v1/auth/refresh', '/v1/connect']);
      expect(late.sockets.made.map((s) => s.url).filter((u) => u.includes(RESUME))).toEqual([]);
    });
  });
});
