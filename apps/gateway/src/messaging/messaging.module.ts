import { Module } from '@nestjs/common';
import { ConversationMembersCache } from './conversation-members.cache';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { DirectLookupCache } from './direct-lookup.cache';
import { KnownSeqCache } from './known-seq.cache';
import { UnackedSends } from './unacked-sends';
import { MessagesRepository } from './messages.repository';
import { MessagingEventsPublisher } from './messaging-events.publisher';
import { SendMessageService } from './send-message.service';
import { SyncService } from './sync.service';

/** Conversations, the accept step of a send, history, cursors and offline sync. */
@Module({
  controllers: [ConversationsController],
  providers: [
    ConversationsRepository,
    MessagesRepository,
    ConversationMembersCache,
    DirectLookupCache,
    KnownSeqCache,
    UnackedSends,
    MessagingEventsPublisher,
    ConversationsService,
    SendMessageService,
    SyncService,
  ],
  exports: [ConversationsService, SendMessageService, SyncService, KnownSeqCache, UnackedSends],
})
export class MessagingModule {}
