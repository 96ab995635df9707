import { Module } from '@nestjs/common';
import { DeviceLocationsRepository } from '@parley/common';
import { DeliveryPublisher } from './delivery.publisher';
import { MessageFanoutService } from './message-fanout.service';

/** The fan-out step: committed messages to the gateway boxes holding their members' sockets. */
@Module({
  providers: [DeviceLocationsRepository, DeliveryPublisher, MessageFanoutService],
  exports: [MessageFanoutService],
})
export class FanoutModule {}
