import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';
import type { ClientConnection } from '../realtime/client-connection';

const POLL_MS = 20;

/**
 * Whether fan-out already routes stored messages to a socket: its connection is in the user's
 * device map (`RedisKeys.userConnections`), which the gateway writes when it admits the socket
 * (SocketAdmissionRepository) and session again when it consumes connection.opened (or a
 * re-assertion after Redis lost its data). A socket's first sync round reads the database only
 * after that, so every message stored after the read is fanned out to the socket: the sync and
 * the live pushes together miss nothing. Normally the first look finds it; the wait covers Redis
 * having lost the entry between admission and sync, until session writes it back.
 */
@Injectable()
export class DeviceRoutingProbe {
  private readonly logger = new Logger(DeviceRoutingProbe.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'SYNC_ROUTABLE_WAIT_MS'>,
  ) {}

  /** Waits (bounded) until session routes to `connection`; true if it does. */
  async waitRoutable(connection: ClientConnection): Promise<boolean> {
    const deadline = performance.now() + this.config.SYNC_ROUTABLE_WAIT_MS;
    for (;;) {
      const known = await this.redis.hexists(
        RedisKeys.userConnections(connection.userId),
        connection.id,
      );
      if (known === 1) return true;
      if (performance.now() >= deadline || !connection.isOpen) break;
      // Not there: session writes it back from connection.opened once that event is out.
      await connection.opened;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.logger.warn(
      { connectionId: connection.id, waitedMs: this.config.SYNC_ROUTABLE_WAIT_MS },
      'session does not route to this socket yet; syncing anyway',
    );
    return false;
  }
}
