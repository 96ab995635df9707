import { Module } from '@nestjs/common';
import { ConnectionEventsConsumer } from './connection-events.consumer';
import { DeliveryPublisher } from './delivery.publisher';
import { DeviceLocationsRepository } from './device-locations.repository';
import { DeviceLocationsService } from './device-locations.service';
import { MessageFanoutConsumer } from './message-fanout.consumer';
import { MessageFanoutService } from './message-fanout.service';
import { RoutingLossMonitor } from './routing-loss.monitor';

@Module({
  controllers: [ConnectionEventsConsumer, MessageFanoutConsumer],
  providers: [
    DeviceLocationsRepository,
    DeviceLocationsService,
    DeliveryPublisher,
    MessageFanoutService,
    RoutingLossMonitor,
  ],
})
export class DeliveriesModule {}
