import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import {
  APP_CONFIG,
  DeliveryBatch,
  deliveryBatchSchema,
  observeHop,
  REDIS,
  RedisChannels,
} from '@parley/common';
import Redis from 'ioredis';
import { MessageAcceptService } from '../accept/message-accept.service';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import { ChannelSubscriptions } from '../conversations/channel-subscriptions';
import { ReceiptsService } from '../receipts/receipts.service';
import type { ClientConnection } from '../realtime/client-connection';
import { RedisSubscription } from '../realtime/redis-subscription';

type DeliveryItem = DeliveryBatch['items'][number];

/**
 * The sockets here an item goes to: those storage named, and for a channel's message every socket
 * here subscribed to the channel but the one that sent it (which gets its `ack`).
 */
function recipientsOf(item: DeliveryItem, channels: ChannelSubscriptions): Iterable<string> {
  if (!item.channel) return item.connectionIds;
  const recipients = new Set(item.connectionIds);
  for (const id of channels.subscribers(item.message.conversationId)) recipients.add(id);
  if (item.originConnectionId) recipients.delete(item.originConnectionId);
  return recipients;
}

/**
 * The deliver step: storage publishes one DeliveryBatch per committed batch to this box's Redis
 * channel, and one for every box with the channels' messages (RedisChannels.channelDeliveries,
 * pushed to this box's sockets subscribed to the channel: ChannelSubscriptions); each item becomes a `message` frame on each recipient socket still open here (in the
 * socket's order: see OrderedDelivery) and an `ack` frame on the sender's (its origin socket); each
 * moved receipt becomes a `receipt` frame on the sockets storage named (the other members' here). A payload that is not a valid
 * batch is logged and dropped (devices catch up with offline sync); it never crashes the gateway.
 */
@Injectable()
export class DeliverySubscriber implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliverySubscriber.name);
  private subscription?: RedisSubscription;
  private channelSubscription?: RedisSubscription;
  /** The subscriptions whose connection dropped and that have not subscribed again yet. */
  private readonly down = new Set<'box' | 'channels'>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    @Inject(APP_CONFIG)
    private readonly config: Pick<GatewayConfig, 'GATEWAY_ID' | 'PARLEY_CLUSTER_ID'>,
    private readonly receipts: ReceiptsService,
    private readonly accept: MessageAcceptService,
    private readonly channels: ChannelSubscriptions,
  ) {}

  private get channel(): string {
    return RedisChannels.delivery(this.config.PARLEY_CLUSTER_ID, this.config.GATEWAY_ID);
  }

  async onModuleInit(): Promise<void> {
    this.subscription = new RedisSubscription(
      this.redis,
      this.channel,
      (payload) => this.deliver(payload),
      this.logger,
      () => this.subscribedAgain('box'),
      () => this.lost('box'),
    );
    const channels = RedisChannels.channelDeliveries(this.config.PARLEY_CLUSTER_ID);
    this.channelSubscription = new RedisSubscription(
      this.redis,
      channels,
      (payload) => this.deliver(payload),
      this.logger,
      () => this.subscribedAgain('channels'),
      () => this.lost('channels'),
    );
    await Promise.all([this.subscription.open(), this.channelSubscription.open()]);
    this.logger.log({ channel: this.channel, channels }, 'subscribed to deliveries');
  }

  beforeApplicationShutdown(): void {
    this.subscription?.close();
    this.channelSubscription?.close();
  }

  /** A subscription's connection dropped: what storage publishes on it meanwhile is lost here. */
  lost(which: 'box' | 'channels'): void {
    this.down.add(which);
  }

  /**
   * A subscription is back. Once neither is down, every socket here syncs once: the two drop
   * together when Redis drops this box's subscribers, but come back apart (each by its own
   * reconnect, or its own liveness watch after a stall), and a round that began while one was
   * still down could miss what was published on it, so one round at the end serves both.
   */
  subscribedAgain(which: 'box' | 'channels'): void {
    this.down.delete(which);
    if (this.down.size === 0) this.resubscribed();
  }

  /**
   * The subscriptions came back after a drop: what storage published meanwhile never reached this
   * box, so every socket here syncs (ClientConnection.pushesLost).
   */
  resubscribed(): void {
    for (const connection of this.registry.all()) {
      if (connection.isOpen) connection.pushesLost();
    }
  }

  deliver(payload: string): void {
    let batch: DeliveryBatch;
    try {
      const parsed = deliveryBatchSchema.safeParse(JSON.parse(payload));
      if (!parsed.success) {
        this.logger.warn(
          { channel: this.channel, issues: parsed.error.issues.map((i) => i.path.join('.')) },
          'invalid delivery batch dropped',
        );
        return;
      }
      batch = parsed.data;
    } catch {
      this.logger.warn({ channel: this.channel }, 'delivery batch is not JSON; dropped');
      return;
    }
    // The same message frame goes to every recipient socket: serialised once per item.
    const now = Date.now();
    for (const item of batch.items) {
      this.receipts.observeStored(item.message.conversationId, item.message.seq);
      let messageText: string | undefined;
      const { conversationId, seq } = item.message;
      for (const connectionId of recipientsOf(item, this.channels)) {
        const connection = this.registry.get(connectionId);
        if (!connection) continue;
        messageText ??= JSON.stringify({ type: 'message', message: item.message });
        const outcome = connection.delivery.push(conversationId, seq, messageText, (text) =>
          connection.sendText(text),
        );
        if (outcome === 'resync') connection.send({ type: 'sync.required', reason: 'gap' });
        else observeHop('gateway_out', item.acceptedAt, now);
      }
      if (item.ackConnectionId) {
        const m = item.message;
        this.accept.acknowledged(item.ackConnectionId, m.clientMsgId);
        const origin = this.registry.get(item.ackConnectionId);
        origin?.delivery.acked(m.conversationId, m.seq);
        origin?.send({
          type: 'ack',
          clientMsgId: m.clientMsgId,
          conversationId: m.conversationId,
          seq: m.seq,
          serverTime: m.serverTime,
          ...(m.expiresAt ? { expiresAt: m.expiresAt } : {}),
        });
        if (origin) observeHop('ack_out', item.acceptedAt, now);
      }
    }
    for (const ack of batch.acks ?? []) {
      // A channel's silent membership change: nothing was stored, the change is done.
      this.accept.acknowledged(ack.connectionId, ack.clientMsgId);
      const { connectionId, ...frame } = ack;
      this.registry.get(connectionId)?.send({ type: 'ack', ...frame });
    }
    for (const refusal of batch.refusals ?? []) {
      // Storage refused it in the conversation's order (a removed member, a non-admin's change).
      this.accept.acknowledged(refusal.connectionId, refusal.clientMsgId);
      this.registry.get(refusal.connectionId)?.send({
        type: 'error',
        clientMsgId: refusal.clientMsgId,
        code: refusal.code,
        message: refusal.message,
      });
    }
    for (const { connectionIds, ...typing } of batch.typing ?? []) {
      // Late typing is dropped, never shown.
      if (Date.parse(typing.expiresAt) <= now) continue;
      const text = JSON.stringify({ type: 'typing', ...typing });
      for (const connectionId of connectionIds) this.registry.get(connectionId)?.sendText(text);
    }
    for (const { receipt, connectionIds } of batch.receipts ?? []) {
      let text: string | undefined;
      for (const connectionId of connectionIds) {
        const connection = this.registry.get(connectionId);
        if (!connection) continue;
        text ??= JSON.stringify({ type: 'receipt', ...receipt });
        connection.sendText(text);
      }
    }
  }
}
