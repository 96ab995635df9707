import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, REDIS, RedisKeys, periodic, type StopPeriodic } from '@parley/common';
import Redis from 'ioredis';
import { EndedSessionsRestorer } from '../accounts/ended-sessions.restorer';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import type { ClientConnection } from './client-connection';
import { GatewayHeartbeatService } from '../heartbeat/gateway-heartbeat.service';
import { ConnectionEventsPublisher } from './connection-events.publisher';
import { GatewayInstanceLease } from './gateway-instance.lease';
import { SocketAdmissionRepository } from './socket-admission.repository';

/**
 * Routing that heals itself. Session keeps "which gateway holds which device" in Redis, built from
 * connection events, and forgets the devices of a gateway that has left the directory. Two ways
 * that table can lose this gateway's sockets while they are still open:
 *  - Redis loses its data (FLUSHDB, restarted empty);
 *  - this gateway drops out of the directory for a while though it lives on (stopped with
 *    SIGSTOP, its heartbeats stuck while Kafka restarts, session down long enough for the entry to
 *    expire), and storage's fan-out forgets its sockets meanwhile.
 * So every GATEWAY_HEARTBEAT_MS the gateway checks, in one round trip, a marker key of its own
 * (`SET NX`: claiming it means the data is gone) and whether its directory entry exists. When the
 * marker had to be claimed, or the entry is back after being missing, it re-publishes a
 * `connection.opened` for every socket it holds (and the foreground state of those in front, for
 * presence). Session applies them like any other (idempotent: one hash field per socket) and
 * live delivery resumes within a beat or two, no client reconnecting. What was stored meanwhile
 * was pushed to nobody, so each sync v2 socket is also told to run a round
 * (ClientConnection.pushesLost), which waits until session routes to it again; while the
 * directory does not list this gateway storage pushes to none of its sockets, so that waits for
 * the check that finds the entry back. A missing entry also has the heartbeat beat at its next
 * check, so the directory lists this gateway again within about a second. A re-assertion that
 * fails halfway (Redis unreachable again) is retried at every check until it goes through.
 *
 * Lost data also took the marks of ended log-in sessions: those ended within an access token's
 * lifetime are marked again from PostgreSQL (EndedSessionsRestorer, retried each check until it
 * succeeds), and this gateway's sockets of them close (4001) before the rest are re-asserted.
 * And the users' socket hashes: each open socket is written back (the socket cap and one socket
 * per device hold again); one whose device opened a newer socket since the loss closes (4003).
 */
@Injectable()
export class DeviceRoutingReasserter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeviceRoutingReasserter.name);
  private stopTimer?: StopPeriodic;
  private running = false;
  private checking = false;
  /** Whether the directory listed this gateway at the last check (unknown before the first). */
  private listed?: boolean;
  /** Routes were lost (or the gateway relisted) and not all re-asserted yet. */
  private reassertPending = false;
  /** Redis lost its data and the ended sessions' marks are not written back yet. */
  private sessionsToRestore = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly registry: ConnectionRegistry<ClientConnection>,
    private readonly events: ConnectionEventsPublisher,
    private readonly heartbeat: GatewayHeartbeatService,
    private readonly endedSessions: EndedSessionsRestorer,
    private readonly admissions: SocketAdmissionRepository,
    private readonly instance: GatewayInstanceLease,
    @Inject(APP_CONFIG)
    private readonly config: Pick<GatewayConfig, 'GATEWAY_ID' | 'GATEWAY_HEARTBEAT_MS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.stopTimer = periodic(this.config.GATEWAY_HEARTBEAT_MS, () => void this.check());
  }

  onModuleDestroy(): void {
    this.running = false;
    this.stopTimer?.();
  }

  /** One check; resolves to the number of sockets re-asserted (0 while the marker is there). */
  async check(): Promise<number> {
    if (!this.running || this.checking) return 0;
    this.checking = true;
    try {
      const id = this.config.GATEWAY_ID;
      const [claimed, listed] = await Promise.all([
        this.redis.set(RedisKeys.routingMarker(id), new Date().toISOString(), 'NX'),
        this.redis.exists(RedisKeys.gateway(id)),
      ]);
      const relisted = listed === 1 && this.listed === false;
      this.listed = listed === 1;
      if (!this.listed) this.heartbeat.directoryEntryMissing();
      if (claimed === 'OK') this.sessionsToRestore = true;
      if (this.sessionsToRestore) await this.restoreEndedSessions();
      if (claimed === 'OK') await this.readmitSockets();
      // Until a re-assertion has gone through whole (Redis may fail halfway), every check retries it.
      if (claimed === 'OK' || relisted) this.reassertPending = true;
      if (!this.reassertPending) return 0;
      const connections = this.registry.all().filter((c) => c.isOpen);
      if (connections.length > 0) {
        this.logger.warn(
          {
            gatewayId: id,
            sockets: connections.length,
            reason: claimed === 'OK' ? 'routing data lost' : 'back in the directory',
          },
          're-asserting this gateway’s sockets to session',
        );
      }
      await Promise.all(
        connections.map(async (c) => {
          await this.events.opened(c);
          // Pushes stored meanwhile went nowhere: the device syncs once session routes to it.
          // Storage pushes to no socket here while the directory does not list this gateway, so
          // unlisted, the device is told at the check that finds the entry back, not twice.
          if (this.listed) c.pushesLost();
          // Presence forgot the socket too (and with it, that it is in the foreground).
          if (c.presenceState === 'foreground')
            await this.events.stateChanged(c, 'foreground', false);
        }),
      );
      this.reassertPending = false;
      return connections.length;
    } catch (err) {
      this.logger.warn({ err }, 'routing check failed (Redis unreachable?); will retry');
      return 0;
    } finally {
      this.checking = false;
    }
  }

  /**
   * The sockets' entries in their users' hashes went too: written back (cap, device), after this
   * process's instance key. If Redis
   * fails here, the routes are still re-asserted; the hashes fill again as devices reconnect.
   */
  private async readmitSockets(): Promise<void> {
    // The instance key went with the data: an admission elsewhere would prune entries of an
    // instance it cannot find, so it comes back first.
    await this.instance.renew();
    const open = this.registry.all().filter((c) => c.isOpen);
    const replaced = await this.admissions
      .readmit(
        open.map((c) => ({
          userId: c.userId,
          connectionId: c.id,
          deviceId: c.deviceId,
          gatewayId: this.config.GATEWAY_ID,
          instanceId: this.instance.instanceId,
        })),
      )
      .catch((err: unknown) => {
        this.logger.warn({ err }, 'sockets not written back into their users’ hashes');
        return [];
      });
    for (const id of replaced) {
      this.registry.get(id)?.closeReplaced();
    }
  }

  private async restoreEndedSessions(): Promise<void> {
    try {
      const ended = new Set(await this.endedSessions.restore());
      this.sessionsToRestore = false;
      for (const connection of this.registry.all()) {
        if (connection.isOpen && ended.has(connection.sessionId)) {
          connection.closeSessionEnded();
        }
      }
      if (ended.size > 0) {
        this.logger.warn(
          { sessions: ended.size },
          'ended sessions marked again after Redis lost its data',
        );
      }
    } catch (err) {
      this.logger.warn(
        { err },
        'ended sessions not marked again yet (PostgreSQL or Redis unreachable?)',
      );
    }
  }
}
