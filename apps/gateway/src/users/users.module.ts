import { Global, Module } from '@nestjs/common';
import { UserDirectoryRepository } from './user-directory.repository';

/** Account look-ups shared by connect, messaging and contacts. */
@Global()
@Module({ providers: [UserDirectoryRepository], exports: [UserDirectoryRepository] })
export class UsersModule {}
