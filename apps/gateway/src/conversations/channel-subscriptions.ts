import { Injectable, Logger } from '@nestjs/common';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConversationsReadModel } from '../read-model/conversations.read-model';

interface Subscriber {
  userId: string;
  channels: Set<string>;
  /** Settles once the socket's channels are loaded (never rejects). */
  ready: Promise<void>;
}

/**
 * Which of this box's sockets follow which channels: what a channel's messages are delivered by.
 * Storage publishes a channel's message ONCE for every box (never routed member by member); each
 * box pushes it to its own subscribed sockets. A socket's channels are read when it is admitted
 * (one query) and follow storage's `channel-members` word (joins, leaves, additions, removals).
 * Nothing here must survive the gateway: a socket that reconnects elsewhere is loaded there.
 */
@Injectable()
export class ChannelSubscriptions {
  private readonly logger = new Logger(ChannelSubscriptions.name);
  private readonly byConnection = new Map<string, Subscriber>();
  private readonly byChannel = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly conversations: ConversationsReadModel,
    lifecycle: ConnectionLifecycle,
  ) {
    lifecycle.onOpened((connectionId, userId) => this.open(connectionId, userId));
    lifecycle.onClosed((connectionId) => this.close(connectionId));
  }

  /**
   * Resolves once the socket's channels are loaded: a sync round waits for it before it reads,
   * so a channel message committed after that read is always pushed to the socket.
   */
  ready(connectionId: string): Promise<void> {
    return this.byConnection.get(connectionId)?.ready ?? Promise.resolve();
  }

  /** The sockets here subscribed to the channel. */
  subscribers(channelId: string): ReadonlySet<string> {
    return this.byChannel.get(channelId) ?? EMPTY;
  }

  /** Storage said these users joined or left the channel. */
  changed(channelId: string, joined: readonly string[], left: readonly string[]): void {
    for (const userId of joined) {
      for (const connectionId of this.byUser.get(userId) ?? []) this.add(connectionId, channelId);
    }
    for (const userId of left) {
      for (const connectionId of this.byUser.get(userId) ?? []) {
        this.remove(connectionId, channelId);
      }
    }
  }

  private open(connectionId: string, userId: string): void {
    const subscriber: Subscriber = { userId, channels: new Set(), ready: Promise.resolve() };
    this.byConnection.set(connectionId, subscriber);
    let sockets = this.byUser.get(userId);
    if (!sockets) this.byUser.set(userId, (sockets = new Set()));
    sockets.add(connectionId);
    subscriber.ready = this.conversations.channelsOf(userId).then(
      (channels) => {
        // Added to what joins meanwhile added, never replacing it.
        if (this.byConnection.get(connectionId) !== subscriber) return;
        for (const channelId of channels) this.add(connectionId, channelId);
      },
      (err: unknown) => {
        // The socket still syncs: its channels' messages reach it by sync until it reconnects.
        this.logger.warn({ err, connectionId }, 'channel subscriptions not loaded');
      },
    );
  }

  private close(connectionId: string): void {
    const subscriber = this.byConnection.get(connectionId);
    if (!subscriber) return;
    this.byConnection.delete(connectionId);
    for (const channelId of subscriber.channels)
      this.byChannel.get(channelId)?.delete(connectionId);
    for (const channelId of subscriber.channels) {
      if (this.byChannel.get(channelId)?.size === 0) this.byChannel.delete(channelId);
    }
    const sockets = this.byUser.get(subscriber.userId);
    sockets?.delete(connectionId);
    if (sockets?.size === 0) this.byUser.delete(subscriber.userId);
  }

  private add(connectionId: string, channelId: string): void {
    const subscriber = this.byConnection.get(connectionId);
    if (!subscriber) return;
    subscriber.channels.add(channelId);
    let sockets = this.byChannel.get(channelId);
    if (!sockets) this.byChannel.set(channelId, (sockets = new Set()));
    sockets.add(connectionId);
  }

  private remove(connectionId: string, channelId: string): void {
    this.byConnection.get(connectionId)?.channels.delete(channelId);
    const sockets = this.byChannel.get(channelId);
    sockets?.delete(connectionId);
    if (sockets?.size === 0) this.byChannel.delete(channelId);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
