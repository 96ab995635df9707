import { Module } from '@nestjs/common';
import { Clock } from './clock';
import { GatewayDirectoryRepository } from './gateway-directory.repository';
import { GatewayDirectoryService } from './gateway-directory.service';
import { GatewayHeartbeatsConsumer } from './gateway-heartbeats.consumer';
import { GatewaysController } from './gateways.controller';

@Module({
  controllers: [GatewayHeartbeatsConsumer, GatewaysController],
  providers: [Clock, GatewayDirectoryRepository, GatewayDirectoryService],
})
export class GatewaysModule {}
