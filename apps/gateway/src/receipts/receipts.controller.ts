import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import {
  type ConversationParams,
  conversationParamsSchema,
  type MessageParams,
  messageParamsSchema,
  type MessageReceiptsAnswer,
  type ReadCursorBody,
  readCursorBodySchema,
} from '@parley/protocol';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { ActivityPublisher } from '../presence/activity.publisher';
import { MessageReceiptsService } from './message-receipts.service';
import { ReceiptsService } from './receipts.service';

/**
 * `POST /v1/conversations/:id/read` (the read cursor over HTTP) and
 * `GET /v1/conversations/:id/messages/:seq/receipts` (who has received and read one of my
 * messages). Members only. Thin.
 */
@Controller('v1/conversations')
@UseGuards(JwtAuthGuard)
export class ReceiptsController {
  constructor(
    private readonly receipts: ReceiptsService,
    private readonly messageReceipts: MessageReceiptsService,
    private readonly activity: ActivityPublisher,
  ) {}

  @Get(':id/messages/:seq/receipts')
  ofMessage(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(new ZodValidationPipe(messageParamsSchema)) { id, seq }: MessageParams,
  ): Promise<MessageReceiptsAnswer> {
    return this.messageReceipts.of(principal.userId, id, seq);
  }

  @Post(':id/read')
  @HttpCode(204)
  async read(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(new ZodValidationPipe(conversationParamsSchema)) { id }: ConversationParams,
    @Body(new ZodValidationPipe(readCursorBodySchema)) body: ReadCursorBody,
  ): Promise<void> {
    this.activity.note(principal.userId);
    await this.receipts.markRead(principal.userId, id, body.seq, { untilPublished: true });
  }
}
