import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { APP_CONFIG, periodic, type StopPeriodic } from '@parley/common';
import { randomUUID } from 'node:crypto';
import type { GatewayConfig } from '../config/gateway.config';
import { SocketAdmissionRepository } from './socket-admission.repository';

/** The lease outlives a few missed renewals (a Redis hiccup) but not a dead process for long. */
const MIN_LEASE_MS = 10_000;

/**
 * This process's claim on its gateway id in Redis: a random instance id under a lease renewed
 * every heartbeat interval. Socket admissions record it, so the sockets of a gateway that died
 * (its lease ran out) or restarted (a new instance id) stop counting against their users' cap.
 */
@Injectable()
export class GatewayInstanceLease implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(GatewayInstanceLease.name);
  readonly instanceId = randomUUID().replace(/-/g, '');
  private stopTimer?: StopPeriodic;

  constructor(
    private readonly admissions: SocketAdmissionRepository,
    @Inject(APP_CONFIG)
    private readonly config: Pick<GatewayConfig, 'GATEWAY_ID' | 'GATEWAY_HEARTBEAT_MS'>,
  ) {}

  private get leaseMs(): number {
    return Math.max(MIN_LEASE_MS, this.config.GATEWAY_HEARTBEAT_MS * 5);
  }

  async onModuleInit(): Promise<void> {
    await this.admissions.claimInstance(this.config.GATEWAY_ID, this.instanceId, this.leaseMs);
    this.stopTimer = periodic(this.config.GATEWAY_HEARTBEAT_MS, () => void this.renew());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopTimer?.();
    await this.admissions
      .dropInstance(this.config.GATEWAY_ID, this.instanceId)
      .catch(() => undefined);
  }

  /**
   * Writes this process's instance key again now (not at the next beat): after Redis lost its
   * data, sockets written back into their users' hashes count as live only once it is there.
   */
  async renew(): Promise<void> {
    try {
      const ours = await this.admissions.renewInstance(
        this.config.GATEWAY_ID,
        this.instanceId,
        this.leaseMs,
      );
      if (!ours) {
        this.logger.error(
          { gatewayId: this.config.GATEWAY_ID },
          'another process runs with this GATEWAY_ID: give every gateway its own id',
        );
      }
    } catch (err) {
      this.logger.warn({ err }, 'gateway instance lease not renewed');
    }
  }
}
