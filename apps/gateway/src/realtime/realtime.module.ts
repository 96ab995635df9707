import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ConnectModule } from '../connect/connect.module';
import { MessagingModule } from '../messaging/messaging.module';
import { ConnectionControlSubscriber } from './connection-control.subscriber';
import { ConnectionEventsPublisher } from './connection-events.publisher';
import { DeliverySubscriber } from './delivery.subscriber';
import { FrameDispatcher } from './frame-dispatcher.service';
import { GatewayInstanceLease } from './gateway-instance.lease';
import { SocketAdmissionRepository } from './socket-admission.repository';
import { WebSocketServerService } from './websocket-server.service';

/**
 * Client WebSockets: checked upgrade (ticket, origin, session, socket cap), frames, heartbeats,
 * live deliveries from session, and closes other gateways ask for.
 */
@Module({
  imports: [AccountsModule, ConnectModule, MessagingModule],
  providers: [
    WebSocketServerService,
    FrameDispatcher,
    ConnectionEventsPublisher,
    DeliverySubscriber,
    ConnectionControlSubscriber,
    SocketAdmissionRepository,
    GatewayInstanceLease,
  ],
})
export class RealtimeModule {}
