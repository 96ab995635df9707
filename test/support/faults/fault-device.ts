import { MemoryConversationStateStore, MemoryOutboxStore, ParleyClient } from '@parley/client';
import type { DeliveredMessage } from '@parley/protocol';
import type { TestAccount } from '@parley/testing';
import type { HistoryEvent, ReceiveEvent } from '../../../tools/faults/history';
import { deviceConnection } from '../sync-device';

/**
 * One device in a fault run: the client library's ParleyClient (outbox, resend with the same
 * client message id, reconnect through the directory with backups, sync v2), recording what it
 * does and sees as history events for the checker: send, accepted, ack, fail, receive, reconnect.
 */
export class FaultDevice {
  readonly client: ParleyClient;
  /** Every hello: when, and on which gateway. */
  readonly hellos: { at: number; gatewayId: string }[] = [];
  /** When each connect attempt started (the directory request), and why the previous failed. */
  readonly attempts: { at: number; after?: string }[] = [];
  /** When the device asked the directory for a gateway (`POST /v1/connect`). */
  readonly directoryRequests: number[] = [];
  /** When the device noticed it was offline (a drop, or a failed attempt). */
  readonly offline: number[] = [];
  /** When each sync converged. */
  readonly synced: number[] = [];
  /** Acks and live receives, with their times (recovery is read from them). */
  readonly acks: { clientMsgId: string; at: number; sentAt: number }[] = [];
  readonly liveReceives: { at: number; clientMsgId: string }[] = [];
  private readonly sentAt = new Map<string, number>();
  private readonly unresolved = new Set<string>();
  private readonly conversationOf = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly name: string,
    gateway: string,
    readonly account: TestAccount,
    private readonly history: HistoryEvent[],
  ) {
    const connection = deviceConnection(gateway, account, `fault-${name}`, (path) => {
      if (path === '/v1/connect') this.directoryRequests.push(Date.now());
    });
    this.client = new ParleyClient({
      connection,
      outbox: new MemoryOutboxStore(),
      states: new MemoryConversationStateStore(),
    });
    const record = (event: HistoryEvent) => this.history.push(event);
    let lastFailure: string | undefined;
    connection.events.on('state', (state) => {
      if (state.kind === 'offline') {
        lastFailure = state.reason;
        this.offline.push(Date.now());
      }
      if (state.kind === 'connecting') {
        this.attempts.push({ at: Date.now(), after: lastFailure });
      }
    });
    connection.events.on('hello', (hello) => {
      const at = Date.now();
      this.hellos.push({ at, gatewayId: hello.gatewayId });
      record({ type: 'reconnect', client: name, at, gatewayId: hello.gatewayId });
    });
    this.client.events.on('accepted', (f) =>
      record({
        type: 'accepted',
        client: name,
        conversationId: f.conversationId,
        clientMsgId: f.clientMsgId,
        at: Date.now(),
      }),
    );
    this.client.events.on('ack', (f) => {
      const at = Date.now();
      if (!this.unresolved.delete(f.clientMsgId)) return;
      this.acks.push({
        clientMsgId: f.clientMsgId,
        at,
        sentAt: this.sentAt.get(f.clientMsgId) ?? at,
      });
      record({
        type: 'ack',
        client: name,
        conversationId: f.conversationId,
        clientMsgId: f.clientMsgId,
        seq: f.seq,
        at,
      });
    });
    this.client.events.on('send-failed', (f) => {
      this.unresolved.delete(f.clientMsgId);
      record({
        type: 'fail',
        client: name,
        conversationId: this.conversationOf.get(f.clientMsgId) ?? 'unknown',
        clientMsgId: f.clientMsgId,
        code: f.code,
        at: Date.now(),
      });
    });
    this.client.events.on('message', ({ message, source }) => {
      const event = receiveEvent(name, message);
      if (source === 'live')
        this.liveReceives.push({ at: event.at, clientMsgId: message.clientMsgId });
      record(event);
    });
    this.client.events.on('synced', () => this.synced.push(Date.now()));
    this.client.events.on('reset', ({ messages }) => {
      for (const message of messages) record(receiveEvent(name, message));
    });
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  /** Sends into a conversation (kept in the outbox until acked or refused for good). */
  send(conversationId: string): string {
    const text = `${this.name} #${++this.counter}`;
    const entry = this.client.send({ conversationId }, text);
    const at = Date.now();
    this.sentAt.set(entry.clientMsgId, at);
    this.unresolved.add(entry.clientMsgId);
    this.conversationOf.set(entry.clientMsgId, conversationId);
    this.history.push({
      type: 'send',
      client: this.name,
      conversationId,
      clientMsgId: entry.clientMsgId,
      text,
      at,
    });
    return entry.clientMsgId;
  }

  /** When this device sent `clientMsgId` (undefined for a message it did not send). */
  sentAtOf(clientMsgId: string): number | undefined {
    return this.sentAt.get(clientMsgId);
  }

  /** When `clientMsgId`, sent by this device, was acknowledged (undefined: not yet). */
  ackAt(clientMsgId: string): number | undefined {
    return this.acks.find((a) => a.clientMsgId === clientMsgId)?.at;
  }

  /** Sends unresolved (neither acked nor refused). */
  get pending(): number {
    return this.unresolved.size;
  }

  /** The gateway of the current socket (the last hello). */
  get gatewayId(): string | undefined {
    return this.hellos.at(-1)?.gatewayId;
  }

  /** Reconnects and waits for a converged sync: what a returning user's device does. */
  async resync(timeoutMs = 60_000): Promise<void> {
    let converged = false;
    const unsubscribe = this.client.events.on('synced', () => (converged = true));
    try {
      this.client.pause('fault run: final sync');
      this.client.resume();
      const deadline = Date.now() + timeoutMs;
      while (!converged) {
        if (Date.now() > deadline) throw new Error(`${this.name}: no converged sync`);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      unsubscribe();
    }
  }

  async stop(): Promise<void> {
    this.client.stop();
    await this.client.flush();
  }
}

/** A message delivered to `client` (live push, sync page or reset tail), as a history event. */
function receiveEvent(client: string, message: DeliveredMessage): ReceiveEvent {
  return {
    type: 'receive',
    client,
    conversationId: message.conversationId,
    seq: message.seq,
    senderId: message.senderId,
    clientMsgId: message.clientMsgId,
    text: message.text,
    at: Date.now(),
  };
}
