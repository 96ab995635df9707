import { Global, Module } from '@nestjs/common';
import { ChannelRolesCache } from './channel-roles.cache';
import { ChannelSubscriptions } from './channel-subscriptions';
import { ChannelsController } from './channels.controller';
import { ConversationMembersCache } from './conversation-members.cache';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { DirectConversationsRepository } from './direct-conversations.repository';
import { DirectLookupCache } from './direct-lookup.cache';

/**
 * Conversations: who is a member (every step checks it here), 1:1 conversations made on first
 * contact, the conversation list, and the public channels.
 */
@Global()
@Module({
  controllers: [ConversationsController, ChannelsController],
  providers: [
    ConversationsService,
    DirectConversationsRepository,
    ConversationMembersCache,
    ChannelRolesCache,
    ChannelSubscriptions,
    DirectLookupCache,
  ],
  exports: [ConversationsService, ChannelSubscriptions],
})
export class ConversationsModule {}
