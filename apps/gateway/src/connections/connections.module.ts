import { Global, Module } from '@nestjs/common';
import { ConnectionControlPublisher } from './connection-control.publisher';
import { ConnectionLifecycle } from './connection-lifecycle';
import { ConnectionRegistry } from './connection-registry.service';

/** This gateway's open sockets, their lifecycle hooks, and the broadcast to close sockets anywhere. */
@Global()
@Module({
  providers: [ConnectionRegistry, ConnectionControlPublisher, ConnectionLifecycle],
  exports: [ConnectionRegistry, ConnectionControlPublisher, ConnectionLifecycle],
})
export class ConnectionsModule {}
