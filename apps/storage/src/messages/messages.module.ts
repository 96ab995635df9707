import { Module } from '@nestjs/common';
import { MessagePersistConsumer } from './message-persist.consumer';
import { MessagePersistService } from './message-persist.service';
import { MessagesRepository } from './messages.repository';

@Module({
  controllers: [MessagePersistConsumer],
  providers: [MessagePersistService, MessagesRepository],
})
export class MessagesModule {}
