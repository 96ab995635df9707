import { Module } from '@nestjs/common';
import { FanoutModule } from '../fanout/fanout.module';
import { AccountEventsConsumer } from './account-events.consumer';
import { AnnouncementsRepository } from './announcements.repository';
import { AnnouncementsService } from './announcements.service';

@Module({
  imports: [FanoutModule],
  controllers: [AccountEventsConsumer],
  providers: [AnnouncementsService, AnnouncementsRepository],
})
export class AnnouncementsModule {}
