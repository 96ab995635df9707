import { Injectable } from '@nestjs/common';

/**
 * The client connections open on THIS gateway process (local by nature: a socket lives in one
 * process). Who is online cluster-wide is not kept here; this only feeds the heartbeat's count and
 * lets the WebSocket layer find its own sockets.
 */
@Injectable()
export class ConnectionRegistry<TConnection = unknown> {
  private readonly connections = new Map<string, TConnection>();

  add(connectionId: string, connection: TConnection): void {
    this.connections.set(connectionId, connection);
  }

  remove(connectionId: string): boolean {
    return this.connections.delete(connectionId);
  }

  get(connectionId: string): TConnection | undefined {
    return this.connections.get(connectionId);
  }

  count(): number {
    return this.connections.size;
  }

  /** A snapshot of the open connections (safe to add or remove while iterating it). */
  all(): TConnection[] {
    return [...this.connections.values()];
  }
}
