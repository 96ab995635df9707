import { Injectable, Logger } from '@nestjs/common';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConversationsReadModel } from '../read-model/conversations.read-model';

interface Subscriber {
  userId: string;
  channels: Set<string>;
  /** Settles once the socket's channels are loaded (never rejects). */
  ready: Promise<void>;
  /** The newest load of the socket's channels: an older load's answer is dropped. */
  load: number;
  /**
   * While a load is in flight: what storage said of the user's channels since it started (the
   * last word per channel), laid over the load's answer, which may have been read before it.
   */
  since?: Map<string, 'joined' | 'left'>;
}

/** Users whose channels one reload query reads. */
const RELOAD_CHUNK = 500;

/**
 * Which of this box's sockets follow which channels: what a channel's messages are delivered by.
 * Storage publishes a channel's message ONCE for every box (never routed member by member); each
 * box pushes it to its own subscribed sockets. A socket's channels are read when it is admitted
 * (one query) and follow storage's `channel-members` word (joins, leaves, additions, removals).
 * A word missed (this gateway's control subscription dropped) is made up by `reloadAll`. A word
 * that arrives while a load is in flight wins over the load's answer, which may predate it.
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
    for (const [users, word] of [
      [joined, 'joined'],
      [left, 'left'],
    ] as const) {
      for (const userId of users) {
        for (const connectionId of this.byUser.get(userId) ?? []) {
          this.byConnection.get(connectionId)?.since?.set(channelId, word);
          if (word === 'joined') this.add(connectionId, channelId);
          else this.remove(connectionId, channelId);
        }
      }
    }
  }

  /**
   * Reads every socket's channels again (one query per RELOAD_CHUNK users) and makes its
   * subscriptions match: after a gap in the control channel, whose words are lost. Resolves to
   * the sockets that gained a channel (its messages meanwhile were pushed to them by nobody).
   */
  async reloadAll(): Promise<string[]> {
    const users = [...this.byUser.keys()];
    const gained: string[] = [];
    for (let i = 0; i < users.length; i += RELOAD_CHUNK) {
      const chunk = users.slice(i, i + RELOAD_CHUNK);
      const loads = chunk.flatMap((userId) =>
        [...(this.byUser.get(userId) ?? [])].map((connectionId) => this.startLoad(connectionId)),
      );
      const read = this.conversations.channelsOfUsers(chunk);
      for (const load of loads)
        load.subscriber.ready = read.then(
          () => undefined,
          () => undefined,
        );
      let channels: Map<string, string[]>;
      try {
        channels = await read;
      } catch (err) {
        // They keep what they follow; the words storage says from now on still apply.
        this.logger.warn({ err, users: chunk.length }, 'channel subscriptions not reloaded');
        for (const { subscriber, load } of loads) {
          if (subscriber.load === load) subscriber.since = undefined;
        }
        continue;
      }
      for (const load of loads) {
        if (this.finishLoad(load, channels.get(load.subscriber.userId) ?? [])) {
          gained.push(load.connectionId);
        }
      }
    }
    return gained;
  }

  private open(connectionId: string, userId: string): void {
    const subscriber: Subscriber = {
      userId,
      channels: new Set(),
      ready: Promise.resolve(),
      load: 0,
    };
    this.byConnection.set(connectionId, subscriber);
    let sockets = this.byUser.get(userId);
    if (!sockets) this.byUser.set(userId, (sockets = new Set()));
    sockets.add(connectionId);
    const load = this.startLoad(connectionId);
    subscriber.ready = this.conversations.channelsOf(userId).then(
      (channels) => void this.finishLoad(load, channels),
      (err: unknown) => {
        // The socket still syncs: its channels' messages reach it by sync until it reconnects.
        this.logger.warn({ err, connectionId }, 'channel subscriptions not loaded');
      },
    );
  }

  private startLoad(connectionId: string): Load {
    const subscriber = this.byConnection.get(connectionId);
    if (!subscriber) throw new Error(`no socket ${connectionId} to load`);
    subscriber.load += 1;
    subscriber.since = new Map();
    return { connectionId, subscriber, load: subscriber.load };
  }

  /**
   * The load's answer, with what storage said since it started laid over it, becomes the socket's
   * channels; true if it gained one. A socket closed meanwhile, or an older load, changes nothing.
   */
  private finishLoad(
    { connectionId, subscriber, load }: Load,
    channels: readonly string[],
  ): boolean {
    if (this.byConnection.get(connectionId) !== subscriber || subscriber.load !== load)
      return false;
    const wanted = new Set(channels);
    for (const [channelId, word] of subscriber.since ?? []) {
      if (word === 'joined') wanted.add(channelId);
      else wanted.delete(channelId);
    }
    subscriber.since = undefined;
    for (const channelId of [...subscriber.channels]) {
      if (!wanted.has(channelId)) this.remove(connectionId, channelId);
    }
    let gained = false;
    for (const channelId of wanted) {
      if (subscriber.channels.has(channelId)) continue;
      this.add(connectionId, channelId);
      gained = true;
    }
    return gained;
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

interface Load {
  connectionId: string;
  subscriber: Subscriber;
  load: number;
}

const EMPTY: ReadonlySet<string> = new Set();
