import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import {
  type ConversationParams,
  conversationParamsSchema,
  type HistoryPage,
  type HistoryQuery,
  historyQuerySchema,
} from '@parley/protocol';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { HistoryService } from './history.service';

/** `GET /v1/conversations/:id/messages`: history over HTTP (members only). Thin. */
@Controller('v1/conversations')
@UseGuards(JwtAuthGuard)
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get(':id/messages')
  messages(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(new ZodValidationPipe(conversationParamsSchema)) { id }: ConversationParams,
    @Query(new ZodValidationPipe(historyQuerySchema)) query: HistoryQuery,
  ): Promise<HistoryPage> {
    return this.history.page(principal.userId, id, query.beforeSeq, query.limit);
  }
}
