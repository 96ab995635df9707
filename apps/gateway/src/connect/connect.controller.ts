import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { type ConnectAnswer, type ConnectBody, connectBodySchema } from '@parley/protocol';
import { ConnectService } from './connect.service';

/** `POST /v1/connect`: which gateway to open the WebSocket on, and a ticket for it. */
@Controller('v1/connect')
export class ConnectController {
  constructor(private readonly connectService: ConnectService) {}

  @Post()
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  connect(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Body(new ZodValidationPipe(connectBodySchema)) body: ConnectBody,
  ): Promise<ConnectAnswer> {
    return this.connectService.connect(principal, body);
  }
}
