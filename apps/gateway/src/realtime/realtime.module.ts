import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ConnectModule } from '../connect/connect.module';
import { AcceptModule } from '../accept/accept.module';
import { ReceiptsModule } from '../receipts/receipts.module';
import { HeartbeatModule } from '../heartbeat/heartbeat.module';
import { SyncModule } from '../sync/sync.module';
import { ConnectionControlSubscriber } from './connection-control.subscriber';
import { ControlGapReconciler } from './control-gap.reconciler';
import { ConnectionEventsPublisher } from './connection-events.publisher';
import { FrameDispatcher } from './frame-dispatcher.service';
import { DeviceRoutingReasserter } from './device-routing.reasserter';
import { GatewayInstanceLease } from './gateway-instance.lease';
import { SocketAdmissionRepository } from './socket-admission.repository';
import { WebSocketServerService } from './websocket-server.service';

/**
 * The WebSocket transport: the checked upgrade (ticket, origin, session, socket cap), per-socket
 * frame queues handing each frame to its step (accept, sync and history, receipts), heartbeats,
 * and the closes other gateways ask for. Live deliveries come in through the deliver step.
 */
@Module({
  imports: [
    AccountsModule,
    ConnectModule,
    AcceptModule,
    SyncModule,
    ReceiptsModule,
    HeartbeatModule,
  ],
  providers: [
    WebSocketServerService,
    FrameDispatcher,
    ConnectionEventsPublisher,
    ConnectionControlSubscriber,
    ControlGapReconciler,
    SocketAdmissionRepository,
    GatewayInstanceLease,
    DeviceRoutingReasserter,
  ],
})
export class RealtimeModule {}
