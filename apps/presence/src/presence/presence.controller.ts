import { Controller, Get, UseGuards, Param } from '@nestjs/common';
import { InternalOnlyGuard, ZodValidationPipe } from '@parley/common';
import { z } from 'zod/v4';
import { PresenceService, PresenceView } from './presence.service';

const userIdParam = new ZodValidationPipe(z.guid());

@Controller('v1/presence')
@UseGuards(InternalOnlyGuard)
export class PresenceController {
  constructor(private readonly presence: PresenceService) {}

  /** When the user was last seen: `{ userId, lastSeenAt }`, or 404 if never. */
  @Get(':userId')
  lastSeen(@Param('userId', userIdParam) userId: string): Promise<PresenceView> {
    return this.presence.lastSeen(userId);
  }
}
