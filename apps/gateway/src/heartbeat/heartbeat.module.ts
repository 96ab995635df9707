import { Module } from '@nestjs/common';
import { GatewayHeartbeatService } from './gateway-heartbeat.service';

@Module({ providers: [GatewayHeartbeatService], exports: [GatewayHeartbeatService] })
export class HeartbeatModule {}
