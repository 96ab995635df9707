import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { InternalOnlyGuard } from '@parley/common';
import { FailpointsService } from './failpoints.service';

/**
 * Arms a test failpoint: 204, or 404 `not_found` for a name storage does not know. Internal
 * callers only, and mounted only when storage runs with NODE_ENV=test (FailpointsModule).
 */
@Controller('internal/failpoints')
@UseGuards(InternalOnlyGuard)
export class FailpointsController {
  constructor(private readonly failpoints: FailpointsService) {}

  @Post(':name')
  @HttpCode(204)
  arm(@Param('name') name: string): void {
    this.failpoints.arm(name);
  }
}
