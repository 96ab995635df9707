import {
  ApiClient,
  Connection,
  type ConversationStateStore,
  MemoryConversationStateStore,
  MemoryCredentialsStore,
  MemoryOutboxStore,
  ParleyClient,
} from '@parley/client';
import { nodeWebSockets } from '@parley/client/node/ws-socket';
import type { DeliveredMessage, ServerFrame } from '@parley/protocol';
import type { TestAccount } from '@parley/testing';

/** The message-bearing frames a socket received, in order: what the ordering checks read. */
export type MessageFrameKind = 'message' | 'sync.messages' | 'sync.reset';

/**
 * A real device for e2e tests: the client library's ParleyClient over a real Connection (sync v2,
 * ordered resume), with its conversation states in a store the test can keep, inspect or tamper
 * with. Records every server frame, one list per socket (a new list at every hello).
 */
export class SyncDevice {
  readonly client: ParleyClient;
  readonly sockets: ServerFrame[][] = [];
  readonly synced: { messages: number; rounds: number }[] = [];
  readonly received = new Map<string, DeliveredMessage[]>();
  private readonly connection: Connection;

  constructor(
    gateway: string,
    account: TestAccount,
    readonly deviceId: string,
    readonly states: ConversationStateStore = new MemoryConversationStateStore(),
  ) {
    this.connection = deviceConnection(gateway, account, deviceId);
    this.client = new ParleyClient({
      connection: this.connection,
      outbox: new MemoryOutboxStore(),
      states,
    });
    this.connection.events.on('hello', () => this.sockets.push([]));
    this.connection.events.on('frame', (frame) => this.sockets.at(-1)?.push(frame));
    this.client.events.on('synced', (s) => this.synced.push(s));
    this.client.events.on('message', ({ message }) => this.keep(message));
    this.client.events.on('reset', ({ messages }) => messages.forEach((m) => this.keep(m)));
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  /** Waits until `count` syncs have converged in all. */
  async waitSynced(count = this.synced.length + 1, timeoutMs = 60_000): Promise<void> {
    await waitFor(() => this.synced.length >= count, `sync ${count} to converge`, timeoutMs);
  }

  /** Disconnects and connects again (the outbox and the states stay). */
  reconnect(): void {
    this.client.pause('test reconnect');
    this.client.resume();
  }

  async stop(): Promise<void> {
    this.client.stop();
    await this.client.flush();
  }

  /** The conversation's seqs this device received, in arrival order. */
  seqs(conversationId: string): number[] {
    return (this.received.get(conversationId) ?? []).map((m) => m.seq);
  }

  /** Every frame of one socket that carried messages, as (kind, conversation, seq) in order. */
  static carried(
    frames: readonly ServerFrame[],
  ): { kind: MessageFrameKind; conversationId: string; seq: number }[] {
    const out: { kind: MessageFrameKind; conversationId: string; seq: number }[] = [];
    for (const f of frames) {
      if (f.type === 'message') out.push({ kind: 'message', ...position(f.message) });
      if (f.type === 'sync.messages')
        for (const m of f.messages) out.push({ kind: 'sync.messages', ...position(m) });
      if (f.type === 'sync.reset')
        for (const m of f.messages) out.push({ kind: 'sync.reset', ...position(m) });
    }
    return out;
  }

  private keep(message: DeliveredMessage): void {
    const list = this.received.get(message.conversationId) ?? [];
    list.push(message);
    this.received.set(message.conversationId, list);
  }
}

/**
 * A device's connection as the client library makes it: the API client on `gateway` with the
 * account's tokens, the directory, Node sockets, sync v2 (ordered resume). `onRequest` sees the
 * path of every HTTP request it makes.
 */
export function deviceConnection(
  gateway: string,
  account: TestAccount,
  deviceId: string,
  onRequest?: (path: string) => void,
): Connection {
  const api = new ApiClient({
    server: gateway,
    ...(onRequest
      ? {
          fetch: (url: string, init: RequestInit) => {
            onRequest(new URL(url).pathname);
            return fetch(url, init);
          },
        }
      : {}),
    credentials: new MemoryCredentialsStore({
      server: gateway,
      userId: account.id,
      username: account.username,
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
    }),
  });
  return new Connection({ api, deviceId, sockets: nodeWebSockets(), sync: 'v2' });
}

function position(m: DeliveredMessage): { conversationId: string; seq: number } {
  return { conversationId: m.conversationId, seq: m.seq };
}

export async function waitFor(
  done: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Polls an async condition (each call a round trip) until it holds. */
export async function eventually(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
