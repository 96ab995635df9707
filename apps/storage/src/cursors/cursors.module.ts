import { Module } from '@nestjs/common';
import { CursorPersistConsumer } from './cursor-persist.consumer';
import { CursorPersistService } from './cursor-persist.service';
import { CursorsRepository } from './cursors.repository';

@Module({
  controllers: [CursorPersistConsumer],
  providers: [CursorPersistService, CursorsRepository],
})
export class CursorsModule {}
