import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ConnectTicketsRepository } from './connect-tickets.repository';
import { ConnectController } from './connect.controller';
import { ConnectService } from './connect.service';
import { GatewayDirectoryReader } from './gateway-directory.reader';
import { ResumeTickets } from './resume-tickets';

/**
 * The gateway directory and single-use tickets: connect tickets (issued here) and resume tickets
 * (issued with each socket's hello), both consumed by realtime, and the grant of a socket opened
 * directly with an access token.
 */
@Module({
  imports: [AccountsModule],
  controllers: [ConnectController],
  providers: [GatewayDirectoryReader, ConnectTicketsRepository, ConnectService, ResumeTickets],
  exports: [ConnectTicketsRepository, ConnectService, GatewayDirectoryReader, ResumeTickets],
})
export class ConnectModule {}
