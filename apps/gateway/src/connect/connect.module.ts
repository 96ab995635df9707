import { Module } from '@nestjs/common';
import { ConnectTicketsRepository } from './connect-tickets.repository';
import { ConnectController } from './connect.controller';
import { ConnectService } from './connect.service';
import { GatewayDirectoryReader } from './gateway-directory.reader';

/** The gateway directory and single-use connect tickets (issued here, consumed by realtime). */
@Module({
  controllers: [ConnectController],
  providers: [GatewayDirectoryReader, ConnectTicketsRepository, ConnectService],
  exports: [ConnectTicketsRepository, GatewayDirectoryReader],
})
export class ConnectModule {}
