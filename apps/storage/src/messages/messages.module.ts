import { Module } from '@nestjs/common';
import { FanoutModule } from '../fanout/fanout.module';
import { GroupsModule } from '../groups/groups.module';
import { MessagePersistConsumer } from './message-persist.consumer';
import { MessagePersistService } from './message-persist.service';
import { MessagesRepository } from './messages.repository';

@Module({
  imports: [FanoutModule, GroupsModule],
  controllers: [MessagePersistConsumer],
  providers: [MessagePersistService, MessagesRepository],
})
export class MessagesModule {}
