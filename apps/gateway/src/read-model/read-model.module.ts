import { Global, Module } from '@nestjs/common';
import { ConversationStatesReadModel } from './conversation-states.read-model';
import { ConversationsReadModel } from './conversations.read-model';
import { MessageReceiptsReadModel } from './message-receipts.read-model';
import { ImagesReadModel } from './images.read-model';
import { MessagesReadModel } from './messages.read-model';

/**
 * The tables storage owns that the gateway reads (conversations, conversation_members, messages,
 * device_cursors, receipt_moves, images), declared in one place: every gateway query of them is here, and nothing here
 * writes. Storage's migrations define them; the gateway never migrates them.
 */
@Global()
@Module({
  providers: [
    ConversationsReadModel,
    MessagesReadModel,
    ConversationStatesReadModel,
    MessageReceiptsReadModel,
    ImagesReadModel,
  ],
  exports: [
    ConversationsReadModel,
    MessagesReadModel,
    ConversationStatesReadModel,
    MessageReceiptsReadModel,
    ImagesReadModel,
  ],
})
export class ReadModelModule {}
