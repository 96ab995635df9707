import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { AccountEventsPublisher } from './account-events.publisher';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { jwtKeyOption } from './jwt-key';
import { JwtStrategy } from './jwt.strategy';
import { LocalStrategy } from './local.strategy';
import { LoginThrottleRepository } from './login-throttle.repository';
import { PasswordHasher } from './password-hasher.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { UsersRepository } from './users.repository';

/** Registration, log-in (passport-local), JWT access + rotating refresh tokens, throttling. */
@Module({
  imports: [
    PassportModule.register({ session: false }),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: GatewayConfig) => ({
        secret: jwtKeyOption(config.JWT_SECRET),
        signOptions: { algorithm: 'HS256', expiresIn: config.JWT_ACCESS_TTL_SECONDS },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AccountsService,
    AuthService,
    PasswordHasher,
    UsersRepository,
    RefreshTokensRepository,
    LoginThrottleRepository,
    AccountEventsPublisher,
    LocalStrategy,
    JwtStrategy,
  ],
  exports: [JwtModule],
})
export class AccountsModule {}
