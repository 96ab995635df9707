import { Module } from '@nestjs/common';
import { ConnectModule } from '../connect/connect.module';
import { MessagingModule } from '../messaging/messaging.module';
import { ConnectionEventsPublisher } from './connection-events.publisher';
import { DeliverySubscriber } from './delivery.subscriber';
import { FrameDispatcher } from './frame-dispatcher.service';
import { WebSocketServerService } from './websocket-server.service';

/** Client WebSockets: ticketed upgrade, frames, heartbeats, and live deliveries from session. */
@Module({
  imports: [ConnectModule, MessagingModule],
  providers: [
    WebSocketServerService,
    FrameDispatcher,
    ConnectionEventsPublisher,
    DeliverySubscriber,
  ],
})
export class RealtimeModule {}
