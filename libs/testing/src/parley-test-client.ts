import { ConversationStates, ProtocolSocket, type SocketAccess } from '@parley/client';
import { nodeWebSockets } from '@parley/client/node/ws-socket';
import type {
  ConnectAnswer,
  ConversationState,
  ConversationView,
  HelloFrame,
  ServerFrame,
  TailRequest,
} from '@parley/protocol';
import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { withTimeout } from '@parley/common';

export interface TestAccount {
  id: string;
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export type { ConnectAnswer };

/** POST a JSON body (with a Bearer token if given); the status and the parsed answer. */
export async function postJson<T>(
  url: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The user's conversation list (`GET /v1/conversations`) from `gateway`. */
export async function conversationsOf(
  gateway: string,
  account: Pick<TestAccount, 'accessToken'>,
): Promise<ConversationView[]> {
  const res = await fetch(`${gateway}/v1/conversations`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  });
  if (res.status !== 200) throw new Error(`GET /v1/conversations: ${res.status}`);
  return ((await res.json()) as { conversations: ConversationView[] }).conversations;
}

/** `GET /v1/conversations/:id/messages/:seq/receipts` as `account`: the status and the body. */
export async function messageReceiptsOf(
  gateway: string,
  account: Pick<TestAccount, 'accessToken'>,
  conversationId: string,
  seq: number,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(
    `${gateway}/v1/conversations/${conversationId}/messages/${seq}/receipts`,
    { headers: { authorization: `Bearer ${account.accessToken}` } },
  );
  return { status: res.status, body: await res.json() };
}

/** Registers and logs in a fresh user with a unique name (`<prefix>_<random>`). */
export async function createAccount(gateway: string, prefix = 'u'): Promise<TestAccount> {
  const username = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`.slice(0, 32);
  const password = 'correct horse battery staple';
  const reg = await postJson<{ user: { id: string } }>(`${gateway}/v1/auth/register`, {
    username,
    email: `${username}@example.org`,
    realName: `Test ${username}`,
    password,
  });
  if (reg.status !== 201)
    throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tokens = await logIn(gateway, username, password);
  return { id: reg.body.user.id, username, password, ...tokens };
}

/** A new log-in session for an existing user: its own access and refresh token. */
export async function logIn(
  gateway: string,
  username: string,
  password: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const login = await postJson<{ accessToken: string; refreshToken: string }>(
    `${gateway}/v1/auth/login`,
    { username, password },
  );
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status}`);
  return { accessToken: login.body.accessToken, refreshToken: login.body.refreshToken };
}

/** How a test socket is opened: `sync: 'v2'` asks for ordered resume (live pushes held until sync). */
export interface ConnectOptions {
  sync?: 'v2';
  /** Gateway WebSocket URLs the directory must not offer (as a client reports them). */
  unreachable?: string[];
}

/** POST /v1/connect: the directory's gateway choice and a single-use ticket. */
export async function requestConnect(
  gateway: string,
  account: Pick<TestAccount, 'accessToken'>,
  deviceId?: string,
  options: ConnectOptions = {},
): Promise<{ status: number; body: ConnectAnswer }> {
  return postJson<ConnectAnswer>(
    `${gateway}/v1/connect`,
    {
      ...(deviceId ? { deviceId } : {}),
      ...(options.sync ? { sync: options.sync } : {}),
      ...(options.unreachable ? { unreachable: options.unreachable } : {}),
    },
    account.accessToken,
  );
}

/**
 * A WebSocket client for tests, on the client library's ProtocolSocket (its codec parses every
 * frame; what it cannot parse lands in `ignored`): queues every server frame and lets a test wait
 * for the next frame matching a predicate. Never fakes the server: it speaks the real protocol to
 * a real gateway. `socket` is the raw `ws` socket, for tests that send what no client would.
 */
export class ParleyTestClient {
  readonly frames: ServerFrame[] = [];
  /** The socket's `hello` (set by `connect` and `connectTo`). */
  hello?: HelloFrame;
  /** Frames the codec refused (an invalid or unknown frame from the server is a bug to see). */
  readonly ignored: { reason: string; type?: string }[] = [];
  private waiters: {
    match: (f: ServerFrame) => boolean;
    resolve: (f: ServerFrame) => void;
    fail: (err: Error) => void;
  }[] = [];
  closeCode: number | undefined;
  /** Resolves with the close code once the socket has closed. */
  readonly closed: Promise<number>;
  readonly socket: WebSocket;

  private constructor(url: string, access: string | SocketAccess, origin: string | undefined) {
    let raw: WebSocket | undefined;
    let onClose!: (code: number) => void;
    this.closed = new Promise((resolve) => (onClose = resolve));
    this.protocol = new ProtocolSocket(
      nodeWebSockets({ origin, created: (socket) => (raw = socket) }),
      url,
      access,
      {
        frame: (frame) => this.receive(frame),
        ignored: (reason, type) => this.ignored.push({ reason, type }),
        close: (code) => {
          this.closeCode = code;
          onClose(code);
          // No frame comes after the close: whoever still waits for one fails now, not at its
          // timeout (whose timer would otherwise keep the test process alive).
          const waiting = this.waiters;
          this.waiters = [];
          for (const w of waiting)
            w.fail(new Error(`socket closed (${code}) before a matching frame`));
        },
      },
    );
    if (!raw) throw new Error('no socket was made');
    this.socket = raw;
  }

  private readonly protocol: ProtocolSocket;

  private receive(frame: ServerFrame): void {
    this.frames.push(frame);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(frame)) return true;
      w.resolve(frame);
      return false;
    });
  }

  /** Opens the socket with a ticket URL; rejects with the HTTP status if the upgrade is refused. */
  static async open(
    url: string,
    ticket: string,
    options: { origin?: string } = {},
  ): Promise<ParleyTestClient> {
    const client = new ParleyTestClient(url, ticket, options.origin);
    await client.protocol.opened;
    return client;
  }

  /**
   * Opens the socket directly on the gateway at `socketUrl` with the access token in the upgrade
   * (no directory round) and waits for `hello`; rejects with the HTTP status if the upgrade is
   * refused (`upgrade refused: 421`: that gateway sends the client to the directory).
   */
  static async openDirect(
    socketUrl: string,
    account: Pick<TestAccount, 'accessToken'>,
    deviceId = `direct-${randomUUID()}`,
    options: { sync?: 'v2' } = {},
  ): Promise<ParleyTestClient> {
    const client = new ParleyTestClient(
      socketUrl,
      { accessToken: account.accessToken, deviceId, ...options },
      undefined,
    );
    await client.protocol.opened;
    client.hello = await client.next<HelloFrame>((f) => f.type === 'hello');
    return client;
  }

  /** Directory + ticket + socket, as a real client does; waits for the `hello` frame. */
  static async connect(
    gateway: string,
    account: Pick<TestAccount, 'accessToken'>,
    deviceId?: string,
    options: ConnectOptions = {},
  ): Promise<ParleyTestClient> {
    const answer = await requestConnect(gateway, account, deviceId, options);
    if (answer.status !== 200)
      throw new Error(`connect: ${answer.status} ${JSON.stringify(answer.body)}`);
    const client = await ParleyTestClient.open(answer.body.url, answer.body.ticket);
    client.hello = await client.next<HelloFrame>((f) => f.type === 'hello');
    return client;
  }

  /**
   * As `connect`, but on the gateway whose WebSocket URL is `socketUrl`: asks the directory, naming
   * every other gateway it offered as unreachable, until it offers that one (as the primary or a
   * backup: the ticket opens a socket on either).
   */
  static async connectTo(
    gateway: string,
    socketUrl: string,
    account: Pick<TestAccount, 'accessToken'>,
    deviceId?: string,
  ): Promise<ParleyTestClient> {
    const unreachable: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await requestConnect(gateway, account, deviceId, { unreachable });
      if (answer.status !== 200)
        throw new Error(`connect: ${answer.status} ${JSON.stringify(answer.body)}`);
      const offered = [answer.body.url, ...answer.body.backups];
      if (!offered.includes(socketUrl)) {
        unreachable.push(...offered.filter((u) => !unreachable.includes(u)));
        // Not listed yet (just restarted): give the directory a beat.
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const client = await ParleyTestClient.open(socketUrl, answer.body.ticket);
      client.hello = await client.next<HelloFrame>((f) => f.type === 'hello');
      return client;
    }
    throw new Error(`the directory never assigned ${socketUrl}`);
  }

  /** Sends a frame (or any text: tests send what no client would). */
  send(frame: unknown): void {
    this.protocol.sendRaw(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first already-received or future frame matching `match` (consumed from the queue view). */
  next<T extends ServerFrame>(match: (f: ServerFrame) => boolean, timeoutMs = 15000): Promise<T> {
    const seen = this.frames.find(match);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen as T);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f as T);
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  /**
   * Sync v2 as a device that holds nothing (its socket opened with `sync: 'v2'`): a complete round
   * of no states, the tails of what the server lists, then those states until a round converges;
   * the gateway then releases this socket's held live pushes. Consumes the sync frames it reads.
   */
  async syncFresh(timeoutMs = 15000): Promise<void> {
    const states = new ConversationStates();
    const isSync = (f: ServerFrame) =>
      f.type === 'sync.done' || f.type === 'sync.reset' || f.type === 'sync.messages';
    let round: (ConversationState | TailRequest)[] = [];
    for (let complete = true; ; complete = false) {
      this.send({ type: 'sync.states', ref: 'test-sync', states: round, complete, last: true });
      const touched = new Set<string>();
      for (;;) {
        const frame = await this.next(isSync, timeoutMs);
        if (frame.type === 'sync.reset') {
          states.reset(frame.conversationId, frame.lastSeq, frame.messages);
          touched.add(frame.conversationId);
        } else if (frame.type === 'sync.messages') {
          for (const m of frame.messages) {
            states.observe(m);
            touched.add(m.conversationId);
          }
        } else if (frame.type === 'sync.done') {
          if (frame.converged) return;
          round = [
            ...[...new Set([...frame.behind, ...frame.reset, ...touched])].map((id) =>
              states.state(id),
            ),
            ...frame.unknown.map((u) => ({
              conversationId: u.conversationId,
              tail: true as const,
            })),
          ];
          break;
        }
      }
    }
  }

  waitClosed(timeoutMs = 15000): Promise<number> {
    return withTimeout(this.closed, timeoutMs, 'the socket (closing)');
  }

  close(): void {
    this.protocol.close();
  }
}
