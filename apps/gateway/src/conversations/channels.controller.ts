import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import { type ChannelsAnswer, type ChannelsQuery, channelsQuerySchema } from '@parley/protocol';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { ConversationsService } from './conversations.service';

/** `GET /v1/channels`: the public channels one may join. Thin. */
@Controller('v1/channels')
@UseGuards(JwtAuthGuard)
export class ChannelsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  async list(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Query(new ZodValidationPipe(channelsQuerySchema)) query: ChannelsQuery,
  ): Promise<ChannelsAnswer> {
    return { channels: await this.conversations.publicChannels(principal.userId, query.q) };
  }
}
