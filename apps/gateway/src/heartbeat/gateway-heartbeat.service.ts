import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, GatewayHeartbeatV1, periodic, type StopPeriodic, Topic } from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { GatewayDirectoryReader } from '../connect/gateway-directory.reader';
import { ConnectionRegistry } from '../connections/connection-registry.service';

/**
 * 'Up and running': this gateway publishes GatewayHeartbeatV1 (its id, public WebSocket URL and
 * open connections) keyed by its id, which session turns into the directory. Every
 * GATEWAY_HEARTBEAT_MS it checks whether a beat is due (heartbeatDue): when its connection count
 * changed, when GATEWAY_HEARTBEAT_IDLE_MS passed since the last one, or when the directory lost its
 * entry (directoryEntryMissing); so a busy gateway's load is a
 * second old at most and an idle stack sends a beat per gateway every few seconds. Started by
 * main.ts once the server listens; stopped before the Kafka producer closes. Checks run on the
 * process's shared tick (`periodic`) and never overlap: a tick that finds one in flight skips it.
 * On a clean shutdown it leaves: it takes itself out of the directory at once and sends a last beat
 * saying so, so no client is sent to a gateway that is going away (a gateway that dies instead
 * expires from the directory after GATEWAY_TTL_MS).
 */
@Injectable()
export class GatewayHeartbeatService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(GatewayHeartbeatService.name);
  private readonly startedAt = new Date().toISOString();
  private stopTimer?: StopPeriodic;
  private inFlight?: Promise<void>;
  private running = false;
  private announced = false;
  private left = false;
  private lastBeat?: LastBeat;
  /** The directory was seen without this gateway's entry: the next check beats. */
  private entryMissing = false;

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
    this.stopTimer = periodic(this.config.GATEWAY_HEARTBEAT_MS, () => {
      if (!this.inFlight) this.beat();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopTimer?.();
    this.stopTimer = undefined;
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
    this.inFlight = this.check().finally(() => {
      this.inFlight = undefined;
    });
  }

  private async check(): Promise<void> {
    const now = performance.now();
    const connections = this.connections.count();
    const idleMs = Math.max(
      this.config.GATEWAY_HEARTBEAT_IDLE_MS,
      this.config.GATEWAY_HEARTBEAT_MS,
    );
    const due =
      this.entryMissing ||
      heartbeatDue(this.lastBeat, now, connections, idleMs, this.config.GATEWAY_HEARTBEAT_MS);
    if (!due) return;
    this.entryMissing = false;
    if (await this.publishOnce()) this.lastBeat = { at: now, connections };
    else this.entryMissing = true;
  }

  /**
   * The directory has no entry for this gateway (Redis flushed, or the entry expired while Kafka
   * was away): the next check beats whatever changed. DeviceRoutingReasserter finds this out in
   * its once-a-beat look at Redis.
   */
  directoryEntryMissing(): void {
    this.entryMissing = true;
  }

  /** Publishes one beat; false when it could not (logged; the next check tries again). */
  private async publishOnce(leaving = false): Promise<boolean> {
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
      return true;
    } catch (err) {
      this.logger.warn(
        { err, gatewayId: this.config.GATEWAY_ID },
        'gateway heartbeat not published',
      );
      return false;
    }
  }
}

/** What the last published beat said, and when (performance.now()). */
export interface LastBeat {
  at: number;
  connections: number;
}

/**
 * Whether a check publishes a beat without asking the directory: the first one, a changed
 * connection count, or the idle interval run out (less half a check period, so timer jitter does
 * not push a beat to the next check).
 */
export function heartbeatDue(
  last: LastBeat | undefined,
  now: number,
  connections: number,
  idleMs: number,
  checkEveryMs: number,
): boolean {
  if (!last) return true;
  if (last.connections !== connections) return true;
  return now - last.at >= idleMs - checkEveryMs / 2;
}
