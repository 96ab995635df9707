import { Module } from '@nestjs/common';
import { DeviceLocationsRepository } from '@parley/common';
import { ConnectionEventsConsumer } from './connection-events.consumer';
import { DeviceLocationsService } from './device-locations.service';
import { RoutingLossMonitor } from './routing-loss.monitor';

/**
 * Where each device is connected (Redis), from connection events; storage's fan-out reads it to
 * route every stored message to the gateway boxes holding its members' sockets.
 */
@Module({
  controllers: [ConnectionEventsConsumer],
  providers: [DeviceLocationsRepository, DeviceLocationsService, RoutingLossMonitor],
})
export class DeliveriesModule {}
