import { Module } from '@nestjs/common';
import { DeliveryRouter, DeviceLocationsRepository } from '@parley/common';
import { AccountEventsConsumer } from './account-events.consumer';
import { ActivityEventsConsumer } from './activity-events.consumer';
import { ConnectionEventsConsumer } from './connection-events.consumer';
import { LivePresenceStore } from './live-presence.store';
import { PresenceRepository } from './presence.repository';
import { PresenceService } from './presence.service';
import { PresenceSweeper } from './presence.sweeper';
import { TypingEventsConsumer } from './typing-events.consumer';
import { TypingRouterService } from './typing-router.service';

@Module({
  controllers: [
    AccountEventsConsumer,
    ActivityEventsConsumer,
    ConnectionEventsConsumer,
    TypingEventsConsumer,
  ],
  providers: [
    PresenceService,
    PresenceRepository,
    LivePresenceStore,
    PresenceSweeper,
    TypingRouterService,
    DeliveryRouter,
    DeviceLocationsRepository,
  ],
})
export class PresenceModule {}
