import { Module } from '@nestjs/common';
import { ContactsController, UsersController } from './contacts.controller';
import { ContactsRepository } from './contacts.repository';
import { ContactsService } from './contacts.service';

/** User search and the per-user address book. */
@Module({
  controllers: [UsersController, ContactsController],
  providers: [ContactsRepository, ContactsService],
})
export class ContactsModule {}
