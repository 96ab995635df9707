import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import { type PresenceAnswer, type PresenceQuery, presenceQuerySchema } from '@parley/protocol';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { PresenceWatchService } from './presence-watch.service';

/** `GET /v1/presence?userIds=`: users' presence as the caller may see it (hidden: null fields). */
@Controller('v1/presence')
@UseGuards(JwtAuthGuard)
export class PresenceController {
  constructor(private readonly presence: PresenceWatchService) {}

  @Get()
  async read(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Query(new ZodValidationPipe(presenceQuerySchema)) query: PresenceQuery,
  ): Promise<PresenceAnswer> {
    return { users: await this.presence.read(principal.userId, query.userIds) };
  }
}
