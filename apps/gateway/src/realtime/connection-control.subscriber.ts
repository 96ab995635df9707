import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import {
  APP_CONFIG,
  GatewayControl,
  gatewayControlSchema,
  REDIS,
  RedisChannels,
} from '@parley/common';
import Redis from 'ioredis';
import { ChannelSubscriptions } from '../conversations/channel-subscriptions';
import { ConversationsService } from '../conversations/conversations.service';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import type { ClientConnection } from './client-connection';
import { PresenceWatchService } from '../presence/presence-watch.service';
import { ControlGapReconciler } from './control-gap.reconciler';
import { RedisSubscription } from './redis-subscription';

/**
 * Closes the sockets other gateways (or this one's accounts path) ask every gateway to close, on
 * the broadcast channel RedisChannels.gatewayControl: those of an ended log-in session (4001)
 * and those a newer socket of the same device replaced (4003); storage's word that
 * conversations' members changed (dropped from the member cache); and that a channel gained, lost
 * or re-roled members (cached roles dropped, this box's sockets subscribed or unsubscribed). An
 * invalid message is logged and dropped. What was published while the subscription was down is
 * made up for once it is back (ControlGapReconciler).
 */
@Injectable()
export class ConnectionControlSubscriber implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConnectionControlSubscriber.name);
  private subscription?: RedisSubscription;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    private readonly conversations: ConversationsService,
    private readonly channels: ChannelSubscriptions,
    private readonly presence: PresenceWatchService,
    private readonly gap: ControlGapReconciler,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'PARLEY_CLUSTER_ID'>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = new RedisSubscription(
      this.redis,
      RedisChannels.gatewayControl(this.config.PARLEY_CLUSTER_ID),
      (payload) => this.apply(payload),
      this.logger,
      () =>
        void this.gap
          .reconcile()
          .catch((err: unknown) => this.logger.warn({ err }, 'control gap not made up for')),
      () => this.gap.lost(),
    );
    await this.subscription.open();
  }

  beforeApplicationShutdown(): void {
    this.subscription?.close();
  }

  apply(payload: string): void {
    let message: GatewayControl;
    try {
      const parsed = gatewayControlSchema.safeParse(JSON.parse(payload));
      if (!parsed.success) {
        this.logger.warn('invalid gateway control message dropped');
        return;
      }
      message = parsed.data;
    } catch {
      this.logger.warn('gateway control message is not JSON; dropped');
      return;
    }
    switch (message.action) {
      case 'session-ended':
        for (const connection of this.registry.all()) {
          if (connection.sessionId === message.sessionId) {
            connection.closeSessionEnded();
          }
        }
        return;
      case 'connections-replaced':
        for (const id of message.connectionIds) {
          this.registry.get(id)?.closeReplaced();
        }
        return;
      case 'members-changed':
        this.conversations.forgetMembers(message.conversationIds);
        return;
      case 'channel-members':
        this.conversations.forgetChannelMembers(message.conversationId, [
          ...message.joined,
          ...message.left,
          ...message.roles,
        ]);
        this.channels.changed(message.conversationId, message.joined, message.left);
        return;
      case 'presence-rules':
        void this.presence.rulesChanged(message.userIds);
        return;
    }
  }
}
