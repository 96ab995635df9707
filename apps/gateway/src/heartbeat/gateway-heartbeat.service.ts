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
import { GatewayDirectoryReader } from '../connect/gateway-directory.reader';
import { ConnectionRegistry } from '../connections/connection-registry.service';

/**
 * 'Up and running': every GATEWAY_HEARTBEAT_MS this gateway publishes GatewayHeartbeatV1 (its id,
 * public WebSocket URL and open connections) keyed by its id. Started by main.ts once the server
 * listens; stopped before the Kafka producer closes. Beats never overlap: the next one is
 * scheduled when the previous publish has settled. On a clean shutdown it leaves: it takes itself
 * out of the directory at once and sends a last beat saying so, so no client is sent to a gateway
 * that is going away (a gateway that dies instead expires from the directory after ~2 beats).
 */
@Injectable()
export class GatewayHeartbeatService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(GatewayHeartbeatService.name);
  private readonly startedAt = new Date().toISOString();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private running = false;
  private announced = false;
  private left = false;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly connections: ConnectionRegistry,
    private readonly directory: GatewayDirectoryReader,
    @Inject(APP_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.announced = true;
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
    await this.leave();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
    await this.leave();
  }

  /**
   * Out of the directory now (Redis), and a last beat saying so (session does the same). Once,
   * and only if this gateway ever announced itself.
   */
  private async leave(): Promise<void> {
    if (!this.announced || this.left) return;
    this.left = true;
    await this.directory.withdraw(this.config.GATEWAY_ID).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not withdraw from the gateway directory');
    });
    await this.publishOnce(true);
  }

  private beat(): void {
    this.inFlight = this.publishOnce().finally(() => {
      this.inFlight = undefined;
      if (this.running)
        this.timer = setTimeout(() => this.beat(), this.config.GATEWAY_HEARTBEAT_MS);
    });
  }

  private async publishOnce(leaving = false): Promise<void> {
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
          ...(leaving ? { leaving } : {}),
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
