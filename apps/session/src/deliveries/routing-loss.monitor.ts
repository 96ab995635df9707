import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { REDIS, RedisKeys, periodic, type StopPeriodic } from '@parley/common';
import Redis from 'ioredis';

/** How often session looks for its marker (the gateways look every heartbeat). */
export const ROUTING_CHECK_MS = 1000;

/**
 * Notices, and says once per loss, that Redis lost the device routing table (FLUSHDB, or restarted
 * empty): it keeps a marker key of its own (`SET NX` each second). Claiming it on the first check
 * is start-up; claiming it later means the data vanished. Nothing else to do here: every gateway
 * notices the same way and re-asserts its sockets (DeviceRoutingReasserter), which rebuilds the
 * table through the usual connection events.
 */
@Injectable()
export class RoutingLossMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RoutingLossMonitor.name);
  private stopTimer?: StopPeriodic;
  private seenMarker = false;
  private checking = false;
  /** How many losses this process has seen (for tests and logs). */
  losses = 0;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  onApplicationBootstrap(): void {
    void this.check();
    this.stopTimer = periodic(ROUTING_CHECK_MS, () => void this.check());
  }

  onModuleDestroy(): void {
    this.stopTimer?.();
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const claimed = await this.redis.set(
        RedisKeys.routingMarker('session'),
        new Date().toISOString(),
        'NX',
      );
      if (claimed === 'OK' && this.seenMarker) {
        this.losses += 1;
        this.logger.warn(
          'Redis lost the device routing table (flushed or restarted empty); gateways are re-asserting their sockets',
        );
      }
      this.seenMarker = true;
    } catch (err) {
      this.logger.warn({ err }, 'routing check failed (Redis unreachable?)');
    } finally {
      this.checking = false;
    }
  }
}
