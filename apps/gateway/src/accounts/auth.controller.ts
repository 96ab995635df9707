import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';

import { AccountsService } from './accounts.service';
import { JwtAuthGuard, LocalAuthGuard } from './auth.guards';
import {
  type LoginAnswer,
  type RefreshTokenBody,
  refreshTokenBodySchema,
  type RegisterBody,
  registerBodySchema,
  type TokenPair,
  type UserAnswer,
} from '@parley/protocol';
import { AuthService } from './auth.service';
import type { AuthenticatedPrincipal } from './jwt.strategy';
import { ClientAddress, CorrelationId, CurrentUser } from './request-context';
import type { UserEntity } from './user.entity';

/** Accounts over HTTP. Thin: validate, call one service, shape the answer. */
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly auth: AuthService,
  ) {}

  @Post('register')
  @HttpCode(201)
  async register(
    @Body(new ZodValidationPipe(registerBodySchema)) body: RegisterBody,
    @ClientAddress() address: string,
    @CorrelationId() correlationId?: string,
  ): Promise<UserAnswer> {
    return { user: await this.accounts.register(body, address, correlationId) };
  }

  /** The body is validated by LocalAuthGuard (before passport) and verified by LocalStrategy. */
  @Post('login')
  @HttpCode(200)
  @UseGuards(LocalAuthGuard)
  login(
    @CurrentUser() user: UserEntity,
    @CorrelationId() correlationId?: string,
  ): Promise<LoginAnswer> {
    return this.auth.login(user, correlationId);
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(
    @Body(new ZodValidationPipe(refreshTokenBodySchema)) body: RefreshTokenBody,
  ): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(JwtAuthGuard)
  async logout(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Body(new ZodValidationPipe(refreshTokenBodySchema)) body: RefreshTokenBody,
    @CorrelationId() correlationId?: string,
  ): Promise<void> {
    await this.auth.logout(principal.userId, body.refreshToken, correlationId);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  async me(@CurrentUser() principal: AuthenticatedPrincipal): Promise<UserAnswer> {
    return { user: await this.accounts.getProfile(principal.userId) };
  }
}
