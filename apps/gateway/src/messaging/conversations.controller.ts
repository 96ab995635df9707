import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CorrelationId, CurrentUser } from '../accounts/request-context';
import {
  conversationParamsSchema,
  createConversationSchema,
  type CreateConversationInput,
  historyQuerySchema,
  type HistoryQuery,
  readCursorSchema,
  type ReadCursorInput,
} from './conversations.schemas';
import { ConversationsService, ConversationView, HistoryPage } from './conversations.service';

const conversationParams = new ZodValidationPipe(conversationParamsSchema);

/** Conversations over HTTP (members only for every per-conversation route). Thin. */
@Controller('v1/conversations')
@UseGuards(JwtAuthGuard)
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  async list(
    @CurrentUser() principal: AuthenticatedPrincipal,
  ): Promise<{ conversations: ConversationView[] }> {
    return { conversations: await this.conversations.list(principal.userId) };
  }

  /** Find-or-create the 1:1 conversation with a user (the same path as a first `send` with `to`). */
  @Post()
  @HttpCode(200)
  async create(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Body(new ZodValidationPipe(createConversationSchema)) body: CreateConversationInput,
  ): Promise<{ conversation: ConversationView }> {
    const { conversationId } = await this.conversations.findOrCreateDirect(
      principal.userId,
      body.with,
      'with',
    );
    return { conversation: await this.conversations.view(principal.userId, conversationId) };
  }

  @Get(':id/messages')
  messages(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(conversationParams) { id }: { id: string },
    @Query(new ZodValidationPipe(historyQuerySchema)) query: HistoryQuery,
  ): Promise<HistoryPage> {
    return this.conversations.history(principal.userId, id, query.beforeSeq, query.limit);
  }

  @Post(':id/read')
  @HttpCode(204)
  async read(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(conversationParams) { id }: { id: string },
    @Body(new ZodValidationPipe(readCursorSchema)) body: ReadCursorInput,
    @CorrelationId() correlationId?: string,
  ): Promise<void> {
    await this.conversations.markRead(principal.userId, id, body.seq, correlationId);
  }
}
