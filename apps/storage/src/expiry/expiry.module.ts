import { Module } from '@nestjs/common';
import { BLOB_STORE_PROVIDER } from '@parley/common';
import { ExpiryRepository } from './expiry.repository';
import { ExpirySweeper } from './expiry.sweeper';

/** Disappearing messages: what expired is deleted, rows, images and blobs. */
@Module({
  providers: [BLOB_STORE_PROVIDER, ExpiryRepository, ExpirySweeper],
})
export class ExpiryModule {}
