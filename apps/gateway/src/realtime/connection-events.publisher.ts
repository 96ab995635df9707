import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  ConnectionClosedV1,
  ConnectionOpenedV1,
  ConnectionStateChangedV1,
  Topic,
} from '@parley/common';
import { EventPublisher, type PublishOptions } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import type { ClientConnection, CloseReason } from './client-connection';

/**
 * connection.opened / connection.closed, keyed by user id, so session can map each user's devices
 * to this gateway. They may wait `CONNECTION_EVENTS_LINGER_MS` for company in the producer: no
 * client waits on them (a socket is routable from its admission). A lost event is logged, not
 * thrown: the socket still works, and offline sync covers a device session does not know about.
 */
@Injectable()
export class ConnectionEventsPublisher {
  private readonly logger = new Logger(ConnectionEventsPublisher.name);

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG)
    private readonly config: Pick<GatewayConfig, 'GATEWAY_ID' | 'CONNECTION_EVENTS_LINGER_MS'>,
  ) {}

  opened(connection: ClientConnection): Promise<void> {
    return this.publish('connection.opened', connection, () =>
      this.publisher.publish(
        Topic.Connections,
        connection.userId,
        ConnectionOpenedV1,
        this.fields(connection),
        this.options(connection),
      ),
    );
  }

  closed(connection: ClientConnection, reason: CloseReason): Promise<void> {
    return this.publish('connection.closed', connection, () =>
      this.publisher.publish(
        Topic.Connections,
        connection.userId,
        ConnectionClosedV1,
        { ...this.fields(connection), reason },
        this.options(connection),
      ),
    );
  }

  /** The device moved to the foreground or background: after the socket's opened, like its closed. */
  stateChanged(
    connection: ClientConnection,
    state: 'foreground' | 'background',
    active: boolean,
  ): Promise<void> {
    return connection.opened.then(() =>
      this.publish('connection.state-changed', connection, () =>
        this.publisher.publish(
          Topic.Connections,
          connection.userId,
          ConnectionStateChangedV1,
          { ...this.fields(connection), state, ...(active ? { active } : {}) },
          this.options(connection),
        ),
      ),
    );
  }

  /** Traced by the socket's id; may wait for company in the producer (no client waits on it). */
  private options(connection: ClientConnection): PublishOptions {
    return { correlationId: connection.id, lingerMs: this.config.CONNECTION_EVENTS_LINGER_MS };
  }

  private fields(connection: ClientConnection) {
    return {
      userId: connection.userId,
      deviceId: connection.deviceId,
      gatewayId: this.config.GATEWAY_ID,
      connectionId: connection.id,
      at: new Date().toISOString(),
    };
  }

  private async publish(event: string, connection: ClientConnection, send: () => Promise<void>) {
    try {
      await send();
    } catch (err) {
      this.logger.error(
        { err, event, connectionId: connection.id, userId: connection.userId },
        'connection event not published',
      );
    }
  }
}
