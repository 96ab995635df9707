import { Module } from '@nestjs/common';
import { ConnectTicketsRepository } from './connect-tickets.repository';
import { ConnectController } from './connect.controller';
import { ConnectService } from './connect.service';
import { GatewayDirectoryRepository } from './gateway-directory.repository';

/** The gateway directory and single-use connect tickets (issued here, consumed by realtime). */
@Module({
  controllers: [ConnectController],
  providers: [GatewayDirectoryRepository, ConnectTicketsRepository, ConnectService],
  exports: [ConnectTicketsRepository],
})
export class ConnectModule {}
