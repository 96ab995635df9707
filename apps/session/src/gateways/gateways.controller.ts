import { Controller, Get, UseGuards } from '@nestjs/common';
import { InternalOnlyGuard } from '@parley/common';
import type { LiveGateway } from './gateway-directory.repository';
import { GatewayDirectoryService } from './gateway-directory.service';

@Controller('v1/gateways')
@UseGuards(InternalOnlyGuard)
export class GatewaysController {
  constructor(private readonly directory: GatewayDirectoryService) {}

  /** Live gateways (heartbeat within the TTL), least loaded first. For tests and operators. */
  @Get()
  async list(): Promise<{ gateways: LiveGateway[] }> {
    return { gateways: await this.directory.liveGateways() };
  }
}
