import { Module } from '@nestjs/common';
import { ConnectModule } from '../connect/connect.module';
import { GatewayHeartbeatService } from './gateway-heartbeat.service';

@Module({
  imports: [ConnectModule],
  providers: [GatewayHeartbeatService],
  exports: [GatewayHeartbeatService],
})
export class HeartbeatModule {}
