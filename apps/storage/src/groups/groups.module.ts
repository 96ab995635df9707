import { Module } from '@nestjs/common';
import { GroupChangeService } from './group-change.service';
import { GroupChangesRepository } from './group-changes.repository';

/** The group-change step: membership changes decided and stored in the conversation's order. */
@Module({
  providers: [GroupChangeService, GroupChangesRepository],
  exports: [GroupChangeService],
})
export class GroupsModule {}
