import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  accessTokenClaimsSchema,
  AuthenticatedPrincipal,
} from './access-token';
import { AccountsException } from './accounts.exception';
import { SessionsRepository } from './sessions.repository';

/** The options every access-token verification uses (passport-jwt and the socket's `auth`). */
export const ACCESS_TOKEN_VERIFY_OPTIONS: {
  algorithms: [typeof ACCESS_TOKEN_ALGORITHM];
  issuer: string;
  audience: string;
} = {
  algorithms: [ACCESS_TOKEN_ALGORITHM],
  issuer: ACCESS_TOKEN_ISSUER,
  audience: ACCESS_TOKEN_AUDIENCE,
};

/**
 * Turns an access token into a principal: signature, algorithm, issuer, audience and expiry
 * (jsonwebtoken), then the claims Parley requires (sub, sid, exp) and that its session has not
 * ended (log-out, refresh-token reuse). Anything else is one `401 unauthorized`.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionsRepository,
  ) {}

  /** For a raw token (the socket's `auth` frame). */
  async verify(token: string): Promise<AuthenticatedPrincipal> {
    let payload: unknown;
    try {
      payload = await this.jwt.verifyAsync<object>(token, ACCESS_TOKEN_VERIFY_OPTIONS);
    } catch {
      throw AccountsException.invalidAccessToken();
    }
    return this.principal(payload);
  }

  /** For a payload whose signature was already checked (passport-jwt's `validate`). */
  async principal(payload: unknown): Promise<AuthenticatedPrincipal> {
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw AccountsException.invalidAccessToken();
    if (await this.sessions.isEnded(claims.data.sid)) throw AccountsException.sessionEnded();
    return { userId: claims.data.sub, sessionId: claims.data.sid, expiresAt: claims.data.exp };
  }
}
