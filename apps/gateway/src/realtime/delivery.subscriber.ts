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
  REDIS,
  RedisKeys,
  ServerFrame,
} from '@parley/common';
import Redis from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import type { ClientConnection } from './client-connection';

/** One frame for one local socket. */
export interface Push {
  connectionId: string;
  frame: ServerFrame;
}

/** The frames a delivery batch means: `message` to each recipient socket, `ack` to the sender's. */
export function planPushes(batch: DeliveryBatch): Push[] {
  const pushes: Push[] = [];
  for (const item of batch.items) {
    for (const connectionId of item.connectionIds) {
      pushes.push({ connectionId, frame: { type: 'message', message: item.message } });
    }
    if (item.ackConnectionId) {
      const m = item.message;
      pushes.push({
        connectionId: item.ackConnectionId,
        frame: {
          type: 'ack',
          clientMsgId: m.clientMsgId,
          conversationId: m.conversationId,
          seq: m.seq,
          serverTime: m.serverTime,
        },
      });
    }
  }
  return pushes;
}

/**
 * The deliver step: session publishes one DeliveryBatch per stored batch to this box's Redis
 * channel; each item becomes frames on the sockets still open here. A payload that is not a valid
 * batch is logged and dropped (devices catch up with offline sync); it never crashes the gateway.
 * A dedicated connection, because a subscribed ioredis connection can do nothing else.
 */
@Injectable()
export class DeliverySubscriber implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliverySubscriber.name);
  private subscriber?: Redis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'GATEWAY_ID'>,
  ) {}

  private get channel(): string {
    return RedisKeys.deliveryChannel(this.config.GATEWAY_ID);
  }

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.deliver(payload);
    });
    this.subscriber.on('error', (err: Error) =>
      this.logger.warn({ err }, 'delivery subscriber connection error'),
    );
    await this.subscriber.subscribe(this.channel);
    this.logger.log({ channel: this.channel }, 'subscribed to deliveries');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (!subscriber) return;
    await subscriber.unsubscribe(this.channel).catch(() => undefined);
    await subscriber.quit().catch(() => subscriber.disconnect());
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
    for (const push of planPushes(batch)) {
      this.registry.get(push.connectionId)?.send(push.frame);
    }
  }
}
