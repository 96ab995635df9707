import { Logger } from '@nestjs/common';
import { subscriberConnection } from '@parley/common';
import Redis from 'ioredis';

/**
 * Calls `again` each time a subscriber `connection` is ready after its first time (it reconnected,
 * and what was published meanwhile is gone), once `confirm` has answered: a command sent now is
 * queued behind the SUBSCRIBEs ioredis sends again by itself, so its reply means they are done.
 */
export function whenSubscribedAgain(
  connection: Redis,
  confirm: () => Promise<unknown>,
  again: () => void,
  failed: (err: unknown) => void,
): void {
  let connectedBefore = false;
  connection.on('ready', () => {
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    confirm().then(again, failed);
  });
}

/**
 * A dedicated Redis connection subscribed to one channel (a subscribed ioredis connection can do
 * nothing else), handing each message's payload to `onMessage`. Used by the gateway's Redis
 * pub/sub consumers: deliveries for this box, and the broadcast control channel.
 *
 * Pub/sub keeps nothing: what was published while the connection was down (a network cut, Redis
 * restarting, Redis dropping a subscriber that fell behind, a connection that stalled and was
 * dropped by its liveness watch) is gone. ioredis reconnects and
 * subscribes again by itself; `onResubscribed`, if given, is called once the channel is
 * subscribed again after such a gap, so its owner can make up for what it missed; `onLost`, if
 * given, once the connection that was subscribed is seen to close (the gap's start, as far as this
 * process can tell).
 */
export class RedisSubscription {
  private connection?: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly onMessage: (payload: string) => void,
    private readonly logger: Logger,
    private readonly onResubscribed?: () => void,
    private readonly onLost?: () => void,
  ) {}

  async open(): Promise<void> {
    const connection = subscriberConnection(this.redis, this.logger, this.channel);
    this.connection = connection;
    connection.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.onMessage(payload);
    });
    whenSubscribedAgain(
      connection,
      () => connection.subscribe(this.channel),
      () => {
        this.logger.warn({ channel: this.channel }, 'subscribed again after a lost connection');
        this.onResubscribed?.();
      },
      (err) => this.logger.warn({ err, channel: this.channel }, 'resubscribe failed'),
    );
    let subscribed = false;
    connection.on('ready', () => (subscribed = true));
    connection.on('close', () => {
      if (!subscribed || this.connection !== connection) return;
      subscribed = false;
      this.onLost?.();
    });
    connection.on('error', (err: Error) =>
      this.logger.warn({ err, channel: this.channel }, 'subscriber connection error'),
    );
    await connection.subscribe(this.channel);
  }

  /**
   * Drops the connection at once: a subscribed connection has nothing to flush, and Redis forgets
   * its subscriptions with it. (Asking UNSUBSCRIBE or QUIT first would wait forever on a stalled
   * connection, and hold the process's shutdown with it.)
   */
  close(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.disconnect();
  }
}
