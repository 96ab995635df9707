import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, GatewayControl, REDIS, RedisChannels } from '@parley/common';
import Redis from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';

/**
 * Tells every gateway to close sockets it may hold (RedisChannels.gatewayControl): those of an
 * ended session, or those a newer socket of the same device replaced. Fire-and-forget like the
 * delivery channel; a socket a lost message leaves open still ends with its access token.
 */
@Injectable()
export class ConnectionControlPublisher {
  private readonly logger = new Logger(ConnectionControlPublisher.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'PARLEY_CLUSTER_ID'>,
  ) {}

  sessionEnded(sessionId: string): Promise<void> {
    return this.publish({ version: 1, action: 'session-ended', sessionId });
  }

  connectionsReplaced(connectionIds: string[]): Promise<void> {
    if (connectionIds.length === 0) return Promise.resolve();
    return this.publish({ version: 1, action: 'connections-replaced', connectionIds });
  }

  /** These users' presence choice or contacts changed: every gateway checks its watches again. */
  presenceRulesChanged(userIds: string[]): Promise<void> {
    return this.publish({ version: 1, action: 'presence-rules', userIds });
  }

  private async publish(message: GatewayControl): Promise<void> {
    try {
      await this.redis.publish(
        RedisChannels.gatewayControl(this.config.PARLEY_CLUSTER_ID),
        JSON.stringify(message),
      );
    } catch (err) {
      this.logger.warn({ err, action: message.action }, 'gateway control message not published');
    }
  }
}
