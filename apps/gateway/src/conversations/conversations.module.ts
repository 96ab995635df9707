import { Global, Module } from '@nestjs/common';
import { ConversationMembersCache } from './conversation-members.cache';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { DirectConversationsRepository } from './direct-conversations.repository';
import { DirectLookupCache } from './direct-lookup.cache';

/**
 * Conversations: who is a member (every step checks it here), 1:1 conversations made on first
 * contact, and the conversation list.
 */
@Global()
@Module({
  controllers: [ConversationsController],
  providers: [
    ConversationsService,
    DirectConversationsRepository,
    ConversationMembersCache,
    DirectLookupCache,
  ],
  exports: [ConversationsService],
})
export class ConversationsModule {}
