import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from './access-token';
import { ACCESS_TOKEN_VERIFY_OPTIONS, AccessTokenVerifier } from './access-token.verifier';
import { AccountEventsPublisher } from './account-events.publisher';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { WebClientGuard, WebSessionController } from './web-session.controller';
import { AuthService } from './auth.service';
import { EndedSessionsRestorer } from './ended-sessions.restorer';
import { jwtKeyOption } from './jwt-key';
import { JwtStrategy } from './jwt.strategy';
import { LocalStrategy } from './local.strategy';
import { PasswordHasher } from './password-hasher.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionsRepository } from './sessions.repository';
import { SettingsController } from './settings.controller';
import { SettingsRepository } from './settings.repository';
import { SettingsService } from './settings.service';
import { UsersRepository } from './users.repository';

/** Registration, log-in (passport-local), JWT access + rotating refresh tokens, throttling. */
@Module({
  imports: [
    PassportModule.register({ session: false }),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: GatewayConfig) => ({
        secret: jwtKeyOption(config.JWT_SECRET),
        signOptions: {
          algorithm: ACCESS_TOKEN_ALGORITHM,
          expiresIn: config.JWT_ACCESS_TTL_SECONDS,
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
        },
        verifyOptions: ACCESS_TOKEN_VERIFY_OPTIONS,
      }),
    }),
  ],
  controllers: [AuthController, WebSessionController, SettingsController],
  providers: [
    AccountsService,
    AuthService,
    PasswordHasher,
    UsersRepository,
    RefreshTokensRepository,
    SessionsRepository,
    EndedSessionsRestorer,
    SettingsRepository,
    SettingsService,
    AccessTokenVerifier,
    AccountEventsPublisher,
    LocalStrategy,
    JwtStrategy,
    WebClientGuard,
  ],
  exports: [JwtModule, AccessTokenVerifier, SessionsRepository, EndedSessionsRestorer],
})
export class AccountsModule {}
