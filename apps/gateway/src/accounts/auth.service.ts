import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG } from '@parley/common';
import { randomUUID } from 'node:crypto';
import type { GatewayConfig } from '../config/gateway.config';
import { AccountEventsPublisher } from './account-events.publisher';
import { toUserView, UserView } from './account.view';
import { AccountsException } from './accounts.exception';
import { LoginInput, usernameKey } from './auth.schemas';
import {
  addressThrottleKey,
  decideThrottle,
  ThrottleLimits,
  usernameThrottleKey,
} from './login-throttle.policy';
import { LoginThrottleRepository } from './login-throttle.repository';
import { PasswordHasher } from './password-hasher.service';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.crypto';
import { refreshTokenExpiry } from './refresh-token.policy';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface LoginResult extends TokenPair {
  user: UserView;
}

/** What a verified access token says: its subject. */
export interface AccessTokenClaims {
  sub: string;
}

@Injectable()
export class AuthService {
  private readonly limits: ThrottleLimits;

  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly throttle: LoginThrottleRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly events: AccountEventsPublisher,
    @Inject(APP_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.limits = {
      maxUsernameFailures: config.LOGIN_THROTTLE_MAX_FAILURES,
      maxAddressFailures: config.LOGIN_THROTTLE_MAX_ADDRESS_FAILURES,
      windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
    };
  }

  /**
   * Checks a username and password (the passport-local verify step). The throttle is consulted
   * first, so a throttled caller is refused even with the right password. Unknown users are
   * verified against a dummy hash: same answer, same cost, as a wrong password.
   */
  async verifyCredentials(input: LoginInput, address: string): Promise<UserEntity> {
    const userKey = usernameThrottleKey(usernameKey(input.username));
    const addrKey = addressThrottleKey(address);
    const counters = await this.throttle.reserve(userKey, addrKey, this.limits.windowSeconds);
    const decision = decideThrottle(counters, this.limits);
    if (!decision.allowed) {
      await this.throttle.release(userKey, addrKey);
      throw AccountsException.loginThrottled(decision.retryAfterSeconds);
    }

    const user = await this.users.findByUsernameKey(usernameKey(input.username));
    let ok = false;
    if (user) ok = await this.hasher.verify(user.passwordHash, input.password);
    else await this.hasher.verifyDummy(input.password);
    // On failure the reservation stays: it is the failure count.
    if (!user || !ok) throw AccountsException.invalidCredentials();

    await this.throttle.clear(userKey);
    await this.throttle.release(addrKey);
    return user;
  }

  /** Starts a session for a verified user: a new refresh-token family and an access token. */
  async login(user: UserEntity, correlationId?: string): Promise<LoginResult> {
    const now = new Date();
    const refreshToken = generateRefreshToken();
    await this.refreshTokens.insert({
      userId: user.id,
      tokenHash: hashRefreshToken(refreshToken),
      familyId: randomUUID(),
      expiresAt: refreshTokenExpiry(now, this.config.REFRESH_TOKEN_TTL_DAYS),
    });
    const pair = await this.tokenPair(user.id, refreshToken);
    await this.events.loggedIn(user.id, now, correlationId);
    return { ...pair, user: toUserView(user) };
  }

  /**
   * Exchanges a refresh token for a new pair, rotating it. A token presented after it was rotated
   * or revoked revokes its whole family (someone holds a copy) and is refused like an unknown one.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const now = new Date();
    const next = generateRefreshToken();
    const result = await this.refreshTokens.rotate(
      hashRefreshToken(refreshToken),
      {
        tokenHash: hashRefreshToken(next),
        expiresAt: refreshTokenExpiry(now, this.config.REFRESH_TOKEN_TTL_DAYS),
      },
      now,
    );
    if (result.outcome !== 'rotated') throw AccountsException.invalidRefreshToken();
    return this.tokenPair(result.userId, next);
  }

  /** Ends the session the refresh token belongs to (its family). Idempotent for its owner. */
  async logout(userId: string, refreshToken: string, correlationId?: string): Promise<void> {
    const token = await this.refreshTokens.findByHash(hashRefreshToken(refreshToken));
    if (!token || token.userId !== userId) throw AccountsException.invalidRefreshToken();
    const now = new Date();
    const revoked = await this.refreshTokens.revokeFamily(token.familyId, now);
    if (revoked > 0) await this.events.loggedOut(userId, now, correlationId);
  }

  private async tokenPair(userId: string, refreshToken: string): Promise<TokenPair> {
    const claims: AccessTokenClaims = { sub: userId };
    const accessToken = await this.jwt.signAsync(claims);
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.JWT_ACCESS_TTL_SECONDS,
    };
  }
}
