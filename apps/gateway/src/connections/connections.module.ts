import { Global, Module } from '@nestjs/common';
import { ConnectionControlPublisher } from './connection-control.publisher';
import { ConnectionRegistry } from './connection-registry.service';

@Global()
@Module({
  providers: [ConnectionRegistry, ConnectionControlPublisher],
  exports: [ConnectionRegistry, ConnectionControlPublisher],
})
export class ConnectionsModule {}
