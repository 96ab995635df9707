import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { type ConnectRequest, connectRequestSchema } from './connect.schemas';
import { ConnectAnswer, ConnectService } from './connect.service';

/** `POST /v1/connect`: which gateway to open the WebSocket on, and a ticket for it. */
@Controller('v1/connect')
export class ConnectController {
  constructor(private readonly connectService: ConnectService) {}

  @Post()
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  connect(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Body(new ZodValidationPipe(connectRequestSchema)) body: ConnectRequest,
  ): Promise<ConnectAnswer> {
    return this.connectService.connect(principal, body.deviceId);
  }
}
