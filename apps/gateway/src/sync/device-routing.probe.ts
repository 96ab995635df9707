import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';
import type { ClientConnection } from '../realtime/client-connection';

const POLL_MS = 20;
/** After a round that synced anyway: the first wait before looking again, the longest, the end. */
const FOLLOW_FIRST_MS = 250;
const FOLLOW_LONGEST_MS = 5_000;
const FOLLOW_MAX_MS = 10 * 60_000;

/**
 * Whether fan-out already routes stored messages to a socket: its connection is in the user's
 * device map (`RedisKeys.userConnections`), which the gateway writes when it admits the socket
 * (SocketAdmissionRepository) and session again when it consumes connection.opened (or a
 * re-assertion after Redis lost its data). A socket's first sync round reads the database only
 * after that, so every message stored after the read is fanned out to the socket: the sync and
 * the live pushes together miss nothing. Normally the first look finds it; the wait covers Redis
 * having lost the entry between admission and sync, until session writes it back. A round that
 * waited in vain and read anyway is followed up (`followUntilRoutable`): what was stored between
 * its read and the entry's return was pushed to nobody, so the device syncs again then.
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

  /**
   * Looks again, ever less often (FOLLOW_FIRST_MS doubling up to FOLLOW_LONGEST_MS, for at most
   * FOLLOW_MAX_MS, while the socket is open), until session routes to `connection`, then calls
   * `routable` once. One HEXISTS a look, only for a socket whose round synced anyway.
   */
  followUntilRoutable(connection: ClientConnection, routable: () => void): void {
    const deadline = performance.now() + FOLLOW_MAX_MS;
    let wait = FOLLOW_FIRST_MS;
    const look = async (): Promise<void> => {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
        wait = Math.min(wait * 2, FOLLOW_LONGEST_MS);
        if (!connection.isOpen) return;
        const known = await this.redis
          .hexists(RedisKeys.userConnections(connection.userId), connection.id)
          .catch(() => 0);
        if (known === 1) {
          routable();
          return;
        }
        if (performance.now() >= deadline) {
          this.logger.warn(
            { connectionId: connection.id },
            'session never routed to this socket; it syncs at its next reconnect',
          );
          return;
        }
      }
    };
    void look();
  }
}
