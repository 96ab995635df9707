import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ttlSeconds } from '../connect/resume-tickets';
import {
  ClientConnection,
  type ConnectionLimits,
  Continuation,
  endsResumption,
} from './client-connection';

const grant = {
  userId: 'u',
  username: 'alice_1',
  deviceId: 'd',
  gatewayId: 'gateway-1',
  sessionId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
  expiresAt: 2_000_000_000,
};

/** A socket's bounds for these tests, with `overrides`. */
function limits(overrides: Partial<ConnectionLimits> = {}): ConnectionLimits {
  return {
    maxQueuedFrames: 100,
    maxQueuedBytes: 1_000_000,
    maxBufferedBytes: 1_000_000,
    frameRatePerSecond: 10,
    frameBurst: 10,
    maxHeldPushes: 10,
    lingerMs: 0,
    ...overrides,
  };
}

/** A connection over a fake socket (only the calls ClientConnection makes) with these bounds. */
function connectionOn(
  socket: Partial<Record<'close' | 'pause' | 'resume', jest.Mock>> & { readyState?: number },
  maxQueuedFrames = 100,
  maxQueuedBytes = 1_000_000,
): ClientConnection {
  return new ClientConnection(
    'c',
    socket as unknown as WebSocket,
    grant,
    limits({ maxQueuedFrames, maxQueuedBytes }),
  );
}

function connection(maxQueued: number): ClientConnection {
  return connectionOn({ close: jest.fn() }, maxQueued);
}

const fakeSocket = () => ({ pause: jest.fn(), resume: jest.fn(), close: jest.fn() });

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ClientConnection.enqueue', () => {
  it('runs tasks one at a time in arrival order, the next starting when a continuation is handed back', async () => {
    const c = connection(10);
    const log: string[] = [];
    const acks = [deferred(), deferred()];
    for (const i of [0, 1]) {
      c.enqueue(() => {
        log.push(`start ${i}`);
        return Promise.resolve<Continuation>({
          settled: acks[i].promise.then(() => {
            log.push(`ack ${i}`);
          }),
        });
      });
    }
    c.enqueue(() => {
      log.push('start 2');
      return Promise.resolve();
    });
    await flush();
    // both sends were started before either was acknowledged
    expect(log).toEqual(['start 0', 'start 1', 'start 2']);
    expect(c.queued).toBe(2);
    acks[0].resolve();
    acks[1].resolve();
    await flush();
    expect(log).toEqual(['start 0', 'start 1', 'start 2', 'ack 0', 'ack 1']);
    expect(c.queued).toBe(0);
  });

  it('counts settling frames against the bound and frees them when they settle', async () => {
    const c = connection(2);
    const ack = deferred();
    const task = () => Promise.resolve<Continuation>({ settled: ack.promise });
    expect(c.enqueue(task)).toBe(true);
    expect(c.enqueue(task)).toBe(true);
    await flush();
    expect(c.enqueue(task)).toBe(false);
    ack.resolve();
    await flush();
    expect(c.enqueue(task)).toBe(true);
  });

  it('keeps going after a task or a continuation fails', async () => {
    const c = connection(5);
    c.enqueue(() => Promise.reject(new Error('boom')));
    c.enqueue(() => Promise.resolve({ settled: Promise.reject(new Error('late')) }));
    let ran = false;
    c.enqueue(() => {
      ran = true;
      return Promise.resolve();
    });
    await flush();
    expect(ran).toBe(true);
    expect(c.queued).toBe(0);
  });

  it('stops reading while more than the bound of bytes waits to be handled, and reads again at half', async () => {
    const socket = fakeSocket();
    const c = connectionOn(socket, 100, 1000);
    const holds = [deferred(), deferred(), deferred()];
    for (const hold of holds) expect(c.enqueue(() => hold.promise, 400)).toBe(true);
    expect(socket.pause).toHaveBeenCalledTimes(1); // 1200 > 1000: never refused, read less
    holds[0].resolve();
    await flush();
    expect(socket.resume).not.toHaveBeenCalled(); // 800 > 500
    holds[1].resolve();
    await flush();
    expect(socket.resume).toHaveBeenCalledTimes(1); // 400 <= 500
    holds[2].resolve();
    await flush();
    expect(c.queued).toBe(0);
  });

  it("counts a frame's bytes until it is handled, not until its continuation settles", async () => {
    const socket = fakeSocket();
    const c = connectionOn(socket, 100, 1000);
    const ack = deferred();
    for (let i = 0; i < 5; i++) {
      c.enqueue(() => Promise.resolve<Continuation>({ settled: ack.promise }), 600);
      await flush();
    }
    expect(socket.pause).not.toHaveBeenCalled();
    expect(c.queued).toBe(5);
    ack.resolve();
    await flush();
    expect(c.queued).toBe(0);
  });
});

describe('ClientConnection.authorizeUntil', () => {
  it('closes the socket with 4002 when its authorization runs out, unless renewed', () => {
    jest.useFakeTimers();
    try {
      const socket = { close: jest.fn(), readyState: 1 };
      const c = connectionOn(socket);
      c.authorizeUntil(10_000, 0);
      jest.advanceTimersByTime(9_000);
      c.authorizeUntil(20_000, 9_000); // renewed
      jest.advanceTimersByTime(2_000);
      expect(socket.close).not.toHaveBeenCalled();
      jest.advanceTimersByTime(9_000);
      expect(socket.close).toHaveBeenCalledWith(4002, 'authorization expired');
      expect(c.closeReason).toBe('token-expired');
      c.authorizeUntil(100, 0);
      c.dispose();
      jest.advanceTimersByTime(1_000);
      expect(socket.close).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ClientConnection: closes another socket or the session ended', () => {
  it('closes with 4001 for an ended session and 4003 for a replaced socket, neither to be resumed', () => {
    const ended = { close: jest.fn(), readyState: 1 };
    const a = connectionOn(ended);
    a.closeSessionEnded();
    expect(ended.close).toHaveBeenCalledWith(4001, 'session ended');
    expect(a.closeReason).toBe('session-ended');
    const replaced = { close: jest.fn(), readyState: 1 };
    const b = connectionOn(replaced);
    b.closeReplaced();
    expect(replaced.close).toHaveBeenCalledWith(
      4003,
      'replaced by a newer connection of this device',
    );
    expect(b.closeReason).toBe('replaced');
  });
});

describe('ClientConnection.pushesLost', () => {
  /** An open fake socket that records the frames sent on it. */
  function openOn(sync?: 'v2') {
    const sent: unknown[] = [];
    const socket = {
      readyState: WebSocket.OPEN,
      bufferedAmount: 0,
      send: (t: string) => sent.push(JSON.parse(t)),
    };
    const c = new ClientConnection(
      'c',
      socket as unknown as WebSocket,
      { ...grant, ...(sync ? { sync } : {}) },
      limits(),
    );
    return { c, sent };
  }

  it('tells a sync v2 socket to run a round that waits for its routes, and holds its pushes meanwhile', () => {
    const { c, sent } = openOn('v2');
    c.delivery.release(() => undefined);
    c.synced = true;
    c.pushesLost();
    expect(sent).toEqual([{ type: 'sync.required', reason: 'gap' }]);
    expect(c.synced).toBe(false);
    expect(c.delivery.isHolding).toBe(true);
  });

  it('tells nothing to a socket whose first round has not started: that round waits anyway', () => {
    const { c, sent } = openOn('v2');
    c.pushesLost();
    expect(sent).toEqual([]);
    expect(c.delivery.isHolding).toBe(true);
  });

  it('leaves a socket without sync v2 as it is: it has no rounds', () => {
    const { c, sent } = openOn();
    c.synced = true;
    c.pushesLost();
    expect(sent).toEqual([]);
    expect(c.synced).toBe(true);
  });
});

describe('resume tickets', () => {
  it('are dropped when the socket ends for good, kept when it was lost or its gateway went away', () => {
    expect(endsResumption('client', 1000)).toBe(true);
    expect(endsResumption('client', 1001)).toBe(true);
    expect(endsResumption('replaced', 4003)).toBe(true);
    expect(endsResumption('session-ended', 4001)).toBe(true);
    expect(endsResumption('token-expired', 4002)).toBe(true);
    expect(endsResumption('client', 1006)).toBe(false);
    expect(endsResumption('heartbeat-timeout', 1006)).toBe(false);
    expect(endsResumption('shutdown', 1001)).toBe(false);
    expect(endsResumption('error', 1009)).toBe(false);
  });

  it('live as long as the socket is authorized, never less than a second', () => {
    expect(ttlSeconds(1_000_000 + 900_000, 1_000_000)).toBe(900);
    expect(ttlSeconds(1_000_000 + 1_500, 1_000_000)).toBe(2);
    expect(ttlSeconds(1_000_000 - 5_000, 1_000_000)).toBe(1);
  });
});

const LINGER_MS = 150;

/** A frame as the client saw it: which TCP read brought it, and when. */
interface Seen {
  type: string;
  read: number;
  at: number;
}

/**
 * A real loopback WebSocket: the server side wrapped in a ClientConnection that lets `accepted`
 * linger LINGER_MS; the client side numbers the TCP reads its frames arrive in.
 */
async function socketPair(): Promise<{
  connection: ClientConnection;
  seen: Seen[];
  close: () => Promise<void>;
}> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await once(client, 'open');
  const [socket] = await accepted;
  const connection = new ClientConnection('c', socket, grant, limits({ lingerMs: LINGER_MS }));
  const seen: Seen[] = [];
  let read = 0;
  client.on('message', (data: Buffer) => {
    const { type } = JSON.parse(data.toString()) as { type: string };
    seen.push({ type, read, at: performance.now() });
  });
  // ws parses a read (emitting its frames) before this later listener counts it.
  (client as unknown as { _socket: NodeJS.EventEmitter })._socket.on('data', () => read++);
  return {
    connection,
    seen,
    close: async () => {
      client.terminate();
      server.close();
      await once(server, 'close');
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(5);
}

describe('a lingering accepted frame over a real socket', () => {
  it('leaves in the same write as the next frame', async () => {
    const { connection, seen, close } = await socketPair();
    try {
      connection.send(
        { type: 'accepted', clientMsgId: 'm1', conversationId: 'c1' },
        { linger: true },
      );
      await sleep(20);
      expect(seen).toEqual([]);
      connection.send({
        type: 'ack',
        clientMsgId: 'm1',
        conversationId: 'c1',
        seq: 1,
        serverTime: new Date().toISOString(),
      });
      await until(() => seen.length === 2);
      expect(seen.map((s) => s.type)).toEqual(['accepted', 'ack']);
      expect(seen[0].read).toBe(seen[1].read);
    } finally {
      await close();
    }
  });

  it('leaves on its own once its linger is up', async () => {
    const { connection, seen, close } = await socketPair();
    try {
      const sent = performance.now();
      connection.send(
        { type: 'accepted', clientMsgId: 'm2', conversationId: 'c1' },
        { linger: true },
      );
      await until(() => seen.length === 1);
      expect(seen[0].type).toBe('accepted');
      // Timers may fire a millisecond early by this clock; never a linger early.
      expect(seen[0].at - sent).toBeGreaterThanOrEqual(LINGER_MS - 2);
    } finally {
      await close();
    }
  });

  it('leaves with the close frame when the socket closes', async () => {
    const { connection, seen, close } = await socketPair();
    try {
      const sent = performance.now();
      connection.send(
        { type: 'accepted', clientMsgId: 'm3', conversationId: 'c1' },
        { linger: true },
      );
      connection.close(1000, 'bye', 'shutdown');
      await until(() => seen.length === 1);
      expect(seen[0].at - sent).toBeLessThan(LINGER_MS);
    } finally {
      await close();
    }
  });
});
