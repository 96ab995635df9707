import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG } from '@parley/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionControlPublisher } from '../connections/connection-control.publisher';
import { ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import type { AccessTokenClaims } from './access-token';
import { AccountEventsPublisher } from './account-events.publisher';
import { toUserView } from './account.view';
import { AccountsException } from './accounts.exception';
import type { LoginAnswer, LoginBody, TokenPair } from '@parley/protocol';
import { usernameKey } from './account-keys';
import { decideThrottle, loginThrottleKeys, ThrottleLimits } from './login-throttle.policy';
import { PasswordHasher } from './password-hasher.service';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.crypto';
import { refreshTokenExpiry } from './refresh-token.policy';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { ENDED_SESSION_SLACK_SECONDS, SessionsRepository } from './sessions.repository';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

@Injectable()
export class AuthService {
  private readonly limits: ThrottleLimits;

  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly throttle: ThrottleCountersRepository,
    private readonly sessions: SessionsRepository,
    private readonly control: ConnectionControlPublisher,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly events: AccountEventsPublisher,
    @Inject(APP_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.limits = {
      maxPairFailures: config.LOGIN_THROTTLE_MAX_FAILURES,
      maxAddressFailures: config.LOGIN_THROTTLE_MAX_ADDRESS_FAILURES,
      slowdownAfterFailures: config.LOGIN_SLOWDOWN_AFTER_FAILURES,
      maxDelayMs: config.LOGIN_MAX_DELAY_MS,
      windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
    };
  }

  /**
   * Checks a username and password (the passport-local verify step). The throttle is consulted
   * first (login-throttle.policy), so a throttled caller is refused even with the right password.
   * Unknown users are verified against a dummy hash: same answer, same cost, as a wrong password.
   */
  async verifyCredentials(input: LoginBody, address: string): Promise<UserEntity> {
    const keys = loginThrottleKeys(usernameKey(input.username), address);
    const [pair, addressCount, username] = await this.throttle.hit(
      [keys.pair, keys.address, keys.username],
      this.limits.windowSeconds,
    );
    const decision = decideThrottle({ pair, address: addressCount, username }, this.limits);
    if (!decision.allowed) {
      await this.throttle.release(keys.pair, keys.address, keys.username);
      throw AccountsException.loginThrottled(decision.retryAfterSeconds);
    }
    if (decision.delayMs > 0) await sleep(decision.delayMs);

    const user = await this.users.findByUsernameKey(usernameKey(input.username));
    let ok = false;
    if (user) ok = await this.hasher.verify(user.passwordHash, input.password);
    else await this.hasher.verifyDummy(input.password);
    // On failure the reservations stay: they are the failure counts.
    if (!user || !ok) throw AccountsException.invalidCredentials();

    await this.throttle.clear(keys.pair, keys.username);
    await this.throttle.release(keys.address);
    return user;
  }

  /** Starts a session for a verified user: a new refresh-token family and an access token. */
  async login(user: UserEntity, correlationId?: string): Promise<LoginAnswer> {
    const now = new Date();
    const refreshToken = generateRefreshToken();
    const sessionId = randomUUID();
    await this.refreshTokens.insert({
      userId: user.id,
      tokenHash: hashRefreshToken(refreshToken),
      familyId: sessionId,
      expiresAt: refreshTokenExpiry(now, this.config.REFRESH_TOKEN_TTL_DAYS),
    });
    const pair = await this.tokenPair(user.id, sessionId, refreshToken);
    await this.events.loggedIn(user.id, now, correlationId);
    return { ...pair, user: toUserView(user) };
  }

  /**
   * Exchanges a refresh token for a new pair, rotating it. A token presented after it was rotated
   * or revoked revokes its whole family (someone holds a copy) and is refused like an unknown one;
   * the session ends everywhere: its access tokens are refused and its sockets closed. Within the
   * reuse grace a rotated token whose replacement is unused rotates again (a lost answer).
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    return (await this.rotate(refreshToken)).pair;
  }

  /** As `refresh`, and whose session it is (the browser's session answer names the user). */
  async rotate(refreshToken: string): Promise<{ pair: TokenPair; userId: string }> {
    const now = new Date();
    const next = generateRefreshToken();
    const result = await this.refreshTokens.rotate(
      hashRefreshToken(refreshToken),
      {
        tokenHash: hashRefreshToken(next),
        expiresAt: refreshTokenExpiry(now, this.config.REFRESH_TOKEN_TTL_DAYS),
      },
      now,
      this.config.REFRESH_TOKEN_REUSE_GRACE_SECONDS * 1000,
    );
    if (result.outcome === 'reused') await this.endSession(result.familyId);
    if (result.outcome !== 'rotated') throw AccountsException.invalidRefreshToken();
    return {
      pair: await this.tokenPair(result.userId, result.familyId, next),
      userId: result.userId,
    };
  }

  /**
   * Ends the session the refresh token belongs to (its family): the refresh tokens are revoked,
   * its access tokens refused from now on, its open sockets closed. Idempotent for its owner.
   */
  async logout(userId: string, refreshToken: string, correlationId?: string): Promise<void> {
    const token = await this.refreshTokens.findByHash(hashRefreshToken(refreshToken));
    if (!token || token.userId !== userId) throw AccountsException.invalidRefreshToken();
    const now = new Date();
    const revoked = await this.refreshTokens.revokeFamily(token.familyId, now);
    await this.endSession(token.familyId);
    if (revoked > 0) await this.events.loggedOut(userId, now, correlationId);
  }

  /**
   * Ends the session a refresh token belongs to, whoever asks (a browser logging out holds only
   * its cookie, maybe without a valid access token). Unknown tokens end nothing.
   */
  async logoutByRefreshToken(refreshToken: string, correlationId?: string): Promise<void> {
    const token = await this.refreshTokens.findByHash(hashRefreshToken(refreshToken));
    if (!token) return;
    const now = new Date();
    const revoked = await this.refreshTokens.revokeFamily(token.familyId, now);
    await this.endSession(token.familyId);
    if (revoked > 0) await this.events.loggedOut(token.userId, now, correlationId);
  }

  private async endSession(sessionId: string): Promise<void> {
    await this.sessions.markEnded(
      sessionId,
      this.config.JWT_ACCESS_TTL_SECONDS + ENDED_SESSION_SLACK_SECONDS,
    );
    await this.control.sessionEnded(sessionId);
  }

  private async tokenPair(
    userId: string,
    sessionId: string,
    refreshToken: string,
  ): Promise<TokenPair> {
    const claims: AccessTokenClaims = { sub: userId, sid: sessionId };
    const accessToken = await this.jwt.signAsync(claims);
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.JWT_ACCESS_TTL_SECONDS,
    };
  }
}
