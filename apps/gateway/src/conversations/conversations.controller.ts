import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import {
  type ConversationAnswer,
  type ConversationsAnswer,
  type CreateConversationBody,
  createConversationBodySchema,
} from '@parley/protocol';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { ConversationsService } from './conversations.service';

/** `GET /v1/conversations` and `POST /v1/conversations` (find-or-create a 1:1). Thin. */
@Controller('v1/conversations')
@UseGuards(JwtAuthGuard)
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  async list(@CurrentUser() principal: AuthenticatedPrincipal): Promise<ConversationsAnswer> {
    return { conversations: await this.conversations.list(principal.userId) };
  }

  /** Find-or-create the 1:1 conversation with a user (the same path as a first `send` with `to`). */
  @Post()
  @HttpCode(200)
  async create(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Body(new ZodValidationPipe(createConversationBodySchema)) body: CreateConversationBody,
  ): Promise<ConversationAnswer> {
    const { conversationId } = await this.conversations.findOrCreateDirect(
      principal.userId,
      body.with,
      'with',
    );
    return { conversation: await this.conversations.view(principal.userId, conversationId) };
  }
}
