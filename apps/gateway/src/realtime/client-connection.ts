import type { ServerFrame } from '@parley/common';
import WebSocket from 'ws';
import type { TicketGrant } from '../connect/connect-ticket';

export type CloseReason = 'client' | 'heartbeat-timeout' | 'shutdown' | 'error';

/** A socket past this much unsent data is a consumer too slow to keep: it is closed (1013). */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * What a frame task may hand back: work that continues after the task let the next frame start
 * (a send queued for Kafka, waiting for its ack). It still counts against the frame bound.
 */
export interface Continuation {
  settled: Promise<void>;
}

/**
 * One client WebSocket on this gateway: who it is (from its connect ticket, never from frames),
 * its liveness for the ping/pong heartbeat, and a serial queue so its frames are handled one at a
 * time in arrival order (sends are queued for Kafka in the order the client sent them; the wait
 * for Kafka's ack overlaps with the next frames, see Continuation).
 */
export class ClientConnection {
  readonly userId: string;
  readonly username: string;
  readonly deviceId: string;
  alive = true;
  closeReason: CloseReason | undefined;
  /** Settles when connection.opened is published; connection.closed waits for it (same key order). */
  opened: Promise<void> = Promise.resolve();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    grant: TicketGrant,
    private readonly maxQueued: number,
  ) {
    this.userId = grant.userId;
    this.username = grant.username;
    this.deviceId = grant.deviceId;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one frame if the socket is open; a socket that stopped reading is closed instead. */
  send(frame: ServerFrame): void {
    if (this.isOpen) this.sendText(JSON.stringify(frame));
  }

  /** Sends an already serialised frame (one JSON text shared by several sockets). */
  sendText(text: string): void {
    if (!this.isOpen) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(1013, 'client is not reading', 'error');
      return;
    }
    this.socket.send(text);
  }

  close(code: number, reason: string, why: CloseReason): void {
    this.closeReason ??= why;
    this.socket.close(code, reason);
  }

  terminate(why: CloseReason): void {
    this.closeReason ??= why;
    this.socket.terminate();
  }

  /**
   * Queues `task` behind the frames already waiting; false (and not queued) when `maxQueued`
   * frames are waiting or still settling. The next frame starts when the task's promise resolves;
   * a returned Continuation keeps the frame counted until it settles. Tasks handle their own
   * errors.
   */
  enqueue(task: () => Promise<Continuation | void>): boolean {
    if (this.pending >= this.maxQueued) return false;
    this.pending++;
    this.tail = this.tail.then(task).then((more) => {
      if (more) void more.settled.then(this.release, this.release);
      else this.release();
    }, this.release);
    return true;
  }

  /** Frames waiting or settling on this socket. */
  get queued(): number {
    return this.pending;
  }

  private readonly release = (): void => {
    this.pending--;
  };
}
