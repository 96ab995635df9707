import { Module } from '@nestjs/common';
import { AccountEventsConsumer } from './account-events.consumer';
import { ConnectionEventsConsumer } from './connection-events.consumer';
import { PresenceController } from './presence.controller';
import { PresenceRepository } from './presence.repository';
import { PresenceService } from './presence.service';

@Module({
  controllers: [AccountEventsConsumer, ConnectionEventsConsumer, PresenceController],
  providers: [PresenceService, PresenceRepository],
})
export class PresenceModule {}
