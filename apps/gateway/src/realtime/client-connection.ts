import type { ServerFrame } from '@parley/common';
import WebSocket from 'ws';
import type { TicketGrant } from '../connect/connect-ticket';

export type CloseReason = 'client' | 'heartbeat-timeout' | 'shutdown' | 'error';

/** A socket past this much unsent data is a consumer too slow to keep: it is closed (1013). */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * One client WebSocket on this gateway: who it is (from its connect ticket, never from frames),
 * its liveness for the ping/pong heartbeat, and a serial queue so its frames are handled one at a
 * time in arrival order (sends reach Kafka in the order the client sent them).
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
    if (!this.isOpen) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(1013, 'client is not reading', 'error');
      return;
    }
    this.socket.send(JSON.stringify(frame));
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
   * Queues `task` behind the frames already waiting; false (and not queued) when the queue is
   * full. Tasks handle their own errors.
   */
  enqueue(task: () => Promise<void>): boolean {
    if (this.pending >= this.maxQueued) return false;
    this.pending++;
    this.tail = this.tail
      .then(task)
      .catch(() => undefined)
      .finally(() => {
        this.pending--;
      });
    return true;
  }
}
