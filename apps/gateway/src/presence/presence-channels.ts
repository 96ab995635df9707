import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import {
  APP_CONFIG,
  PresenceChange,
  presenceChangeSchema,
  presenceChannelPrefix,
  REDIS,
  RedisChannels,
  subscriberConnection,
} from '@parley/common';
import Redis from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';
import { whenSubscribedAgain } from '../realtime/redis-subscription';

/**
 * This box's ears on presence: one dedicated Redis connection subscribed to the channel of each
 * user some socket here sees (`RedisChannels.presence(userId)`), so a change reaches only the
 * boxes whose sockets watch that user. Subscriptions follow WatchIndex's answers; ioredis
 * subscribes again after a reconnect, and what was published meanwhile is gone: once the channels
 * are heard again, `onHeardAgain`'s callback reads the states afresh. An invalid message is logged
 * and dropped.
 */
@Injectable()
export class PresenceChannels implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(PresenceChannels.name);
  private connection?: Redis;
  private onChange: (change: PresenceChange) => void = () => undefined;
  private heardAgain: () => void = () => undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'PARLEY_CLUSTER_ID'>,
  ) {}

  onModuleInit(): void {
    const connection = subscriberConnection(this.redis, this.logger, 'presence channels');
    this.connection = connection;
    const prefix = presenceChannelPrefix(this.config.PARLEY_CLUSTER_ID);
    connection.on('message', (channel: string, payload: string) => {
      if (channel.startsWith(prefix)) this.receive(payload);
    });
    whenSubscribedAgain(
      connection,
      () => connection.ping(),
      () => {
        this.logger.warn('presence channels heard again after a lost connection');
        this.heardAgain();
      },
      (err) => this.logger.warn({ err }, 'presence channels not checked again'),
    );
    connection.on('error', (err: Error) =>
      this.logger.warn({ err }, 'presence subscriber connection error'),
    );
  }

  beforeApplicationShutdown(): void {
    const connection = this.connection;
    this.connection = undefined;
    // At once, as RedisSubscription.close does: QUIT would wait forever on a stalled connection.
    connection?.disconnect();
  }

  /** Who hears the changes (one listener: the watch service). */
  listen(onChange: (change: PresenceChange) => void): void {
    this.onChange = onChange;
  }

  /** Called once the channels are heard again after the connection dropped (changes were lost). */
  onHeardAgain(callback: () => void): void {
    this.heardAgain = callback;
  }

  async follow(subscribe: readonly string[], unsubscribe: readonly string[]): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    const channel = (userId: string) =>
      RedisChannels.presence(this.config.PARLEY_CLUSTER_ID, userId);
    // Both commands are queued now, in the order WatchIndex decided them (no await between).
    await Promise.all([
      unsubscribe.length > 0 ? connection.unsubscribe(...unsubscribe.map(channel)) : undefined,
      subscribe.length > 0 ? connection.subscribe(...subscribe.map(channel)) : undefined,
    ]);
  }

  private receive(payload: string): void {
    try {
      const parsed = presenceChangeSchema.safeParse(JSON.parse(payload));
      if (parsed.success) this.onChange(parsed.data);
      else this.logger.warn('invalid presence change dropped');
    } catch {
      this.logger.warn('presence change is not JSON; dropped');
    }
  }
}
