import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ClientConnection } from './client-connection';

const grant = {
  userId: 'u',
  username: 'alice_1',
  deviceId: 'd',
  gatewayId: 'gateway-1',
  sessionId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
  expiresAt: 2_000_000_000,
};

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
  const connection = new ClientConnection('c', socket, grant, {
    maxQueuedFrames: 10,
    maxQueuedBytes: 1_000_000,
    maxBufferedBytes: 1_000_000,
    frameRatePerSecond: 10,
    frameBurst: 10,
    maxHeldPushes: 10,
    lingerMs: LINGER_MS,
  });
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
