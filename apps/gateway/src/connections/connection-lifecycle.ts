import { Injectable } from '@nestjs/common';

/**
 * What the steps need to know about this gateway's sockets ending, without the transport knowing
 * the steps: a step registers a hook once (the accept step drops the socket's pending acks, the
 * send budget forgets its bucket) and realtime calls `opened` when a socket is admitted and
 * `closed` when it closes.
 */
@Injectable()
export class ConnectionLifecycle {
  private readonly closedHooks: ((connectionId: string) => void)[] = [];
  private readonly openedHooks: ((connectionId: string, userId: string) => void)[] = [];

  onOpened(hook: (connectionId: string, userId: string) => void): void {
    this.openedHooks.push(hook);
  }

  opened(connectionId: string, userId: string): void {
    for (const hook of this.openedHooks) hook(connectionId, userId);
  }

  onClosed(hook: (connectionId: string) => void): void {
    this.closedHooks.push(hook);
  }

  closed(connectionId: string): void {
    for (const hook of this.closedHooks) hook(connectionId);
  }
}
