import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import {
  type ConversationParams,
  conversationParamsSchema,
  type ReadCursorBody,
  readCursorBodySchema,
} from '@parley/protocol';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { ReceiptsService } from './receipts.service';

/** `POST /v1/conversations/:id/read`: the read cursor over HTTP (members only). Thin. */
@Controller('v1/conversations')
@UseGuards(JwtAuthGuard)
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsService) {}

  @Post(':id/read')
  @HttpCode(204)
  async read(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(new ZodValidationPipe(conversationParamsSchema)) { id }: ConversationParams,
    @Body(new ZodValidationPipe(readCursorBodySchema)) body: ReadCursorBody,
  ): Promise<void> {
    await this.receipts.markRead(principal.userId, id, body.seq, { untilPublished: true });
  }
}
