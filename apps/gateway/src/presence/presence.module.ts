import { Global, Module } from '@nestjs/common';
import { ActivityPublisher } from './activity.publisher';
import { PresenceChannels } from './presence-channels';
import { PresenceController } from './presence.controller';
import { PresenceRulesRepository } from './presence-rules.repository';
import { PresenceStateReader } from './presence-state.reader';
import { PresenceWatchService } from './presence-watch.service';
import { TypingService } from './typing.service';

/**
 * Presence at the gateway: user activity to presence (coalesced), typing signals, and watching
 * users' presence (rules checked here, changes heard per watched user).
 */
@Global()
@Module({
  controllers: [PresenceController],
  providers: [
    ActivityPublisher,
    PresenceChannels,
    PresenceRulesRepository,
    PresenceStateReader,
    PresenceWatchService,
    TypingService,
  ],
  exports: [ActivityPublisher, PresenceWatchService, TypingService],
})
export class PresenceModule {}
