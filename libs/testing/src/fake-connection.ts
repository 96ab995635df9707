import { type ConnectionEvents, type ConnectionPort, Emitter } from '@parley/client';
import type {
  ClientFrame,
  DeliveredMessage,
  ServerFrame,
  SyncDoneFrame,
  SyncStatesFrame,
} from '@parley/protocol';

/** A `sync.done` frame: nothing behind, reset, unknown or gone unless given. */
export function syncDoneFrame(parts: Partial<Omit<SyncDoneFrame, 'type'>> = {}): SyncDoneFrame {
  return {
    type: 'sync.done',
    ref: 'sync',
    converged: false,
    agreed: 0,
    messages: 0,
    behind: [],
    reset: [],
    unknown: [],
    gone: [],
    ...parts,
  };
}

/**
 * A ConnectionPort a unit test drives: it records the frames the client sends while online and
 * lets the test play the server (hello, drops, frames). For testing what sits on ParleyClient
 * (the terminal client's chat, the web client's state) without a socket.
 */
export class FakeConnection implements ConnectionPort {
  readonly events = new Emitter<ConnectionEvents>();
  readonly sent: ClientFrame[] = [];
  private online = false;

  constructor(private readonly me: { userId: string; username: string }) {}

  get isOnline(): boolean {
    return this.online;
  }

  start(): void {}

  stop(): void {}

  send(frame: ClientFrame): boolean {
    if (this.online) this.sent.push(frame);
    return this.online;
  }

  /** The socket is up: state `online`, then the server's `hello`. */
  hello(): void {
    this.online = true;
    this.events.emit('state', { kind: 'online', gatewayId: 'gw-1', url: 'ws://x/ws' });
    this.events.emit('hello', {
      type: 'hello',
      connectionId: '11111111-1111-4111-8111-111111111111',
      userId: this.me.userId,
      username: this.me.username,
      deviceId: 'd',
      gatewayId: 'gw-1',
      heartbeatMs: 25000,
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
  }

  /** The socket dropped: state `offline`. */
  drop(): void {
    this.online = false;
    this.events.emit('state', { kind: 'offline', reason: 'lost', retryInMs: 1000 });
  }

  frame(frame: ServerFrame): void {
    this.events.emit('frame', frame);
  }

  /**
   * The running sync ends: `messages` (if any) in one `sync.messages` page, then a converged
   * `sync.done` (shorthand: a real server converges only in a round that sent nothing; see
   * `syncDoneFrame` for exact rounds).
   */
  syncDone(messages: DeliveredMessage[] = []): void {
    if (messages.length > 0) this.frame({ type: 'sync.messages', ref: 'sync', messages });
    this.frame(syncDoneFrame({ converged: true }));
  }

  /** The `sync.states` frames the client sent, in order. */
  get syncRounds(): SyncStatesFrame[] {
    return this.sent.filter((f): f is SyncStatesFrame => f.type === 'sync.states');
  }
}
