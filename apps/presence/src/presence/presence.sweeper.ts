import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, periodic, type StopPeriodic } from '@parley/common';
import type { PresenceConfig } from '../config/presence.config';
import { PresenceService } from './presence.service';

/**
 * Every PRESENCE_SWEEP_MS: offlines whose grace ran out are told, and gateways that died or
 * restarted are checked (PresenceService.sweep). One sweep at a time; a failed one is logged and
 * the next tries again (the state it reads is all in Redis, so any replica may sweep).
 */
@Injectable()
export class PresenceSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PresenceSweeper.name);
  private stopTimer?: StopPeriodic;
  private running: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly presence: PresenceService,
    @Inject(APP_CONFIG) private readonly config: Pick<PresenceConfig, 'PRESENCE_SWEEP_MS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.stopTimer = periodic(this.config.PRESENCE_SWEEP_MS, () => this.tick());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopTimer?.();
    await this.running;
  }

  private tick(): void {
    if (this.busy) return; // a slow sweep is not queued behind: the next tick takes what is due
    this.busy = true;
    this.running = (async () => {
      try {
        const { offline, gatewaysGone } = await this.presence.sweep();
        if (offline > 0 || gatewaysGone > 0) {
          this.logger.debug({ offline, gatewaysGone }, 'presence swept');
        }
      } catch (err) {
        this.logger.warn({ err }, 'presence sweep failed; the next one tries again');
      } finally {
        this.busy = false;
      }
    })();
  }
}
