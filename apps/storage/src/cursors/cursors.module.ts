import { Module } from '@nestjs/common';
import { FanoutModule } from '../fanout/fanout.module';
import { CursorPersistConsumer } from './cursor-persist.consumer';
import { CursorPersistService } from './cursor-persist.service';
import { CursorsRepository } from './cursors.repository';

@Module({
  imports: [FanoutModule],
  controllers: [CursorPersistConsumer],
  providers: [CursorPersistService, CursorsRepository],
})
export class CursorsModule {}
