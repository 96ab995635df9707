import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, GatewayHeartbeatV1, Topic } from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionRegistry } from '../connections/connection-registry.service';

/**
 * 'Up and running': every GATEWAY_HEARTBEAT_MS this gateway publishes GatewayHeartbeatV1 (its id,
 * public WebSocket URL and open connections) keyed by its id. Started by main.ts once the server
 * listens; stopped before the Kafka producer closes. Beats never overlap: the next one is
 * scheduled when the previous publish has settled.
 */
@Injectable()
export class GatewayHeartbeatService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(GatewayHeartbeatService.name);
  private readonly startedAt = new Date().toISOString();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private running = false;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly connections: ConnectionRegistry,
    @Inject(APP_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.logger.log(
      { gatewayId: this.config.GATEWAY_ID, publicUrl: this.config.GATEWAY_PUBLIC_URL },
      'gateway heartbeat started',
    );
    this.beat();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private beat(): void {
    this.inFlight = this.publishOnce().finally(() => {
      this.inFlight = undefined;
      if (this.running)
        this.timer = setTimeout(() => this.beat(), this.config.GATEWAY_HEARTBEAT_MS);
    });
  }

  private async publishOnce(): Promise<void> {
    try {
      await this.publisher.publish(
        Topic.GatewayHeartbeats,
        this.config.GATEWAY_ID,
        GatewayHeartbeatV1,
        {
          gatewayId: this.config.GATEWAY_ID,
          publicUrl: this.config.GATEWAY_PUBLIC_URL,
          connections: this.connections.count(),
          startedAt: this.startedAt,
        },
      );
    } catch (err) {
      this.logger.warn(
        { err, gatewayId: this.config.GATEWAY_ID },
        'gateway heartbeat not published',
      );
    }
  }
}
