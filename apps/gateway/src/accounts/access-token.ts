import { z } from 'zod/v4';

/** `iss` of every access token a Parley gateway signs; any other issuer is refused. */
export const ACCESS_TOKEN_ISSUER = 'parley';
/** `aud`: tokens meant for Parley's client API (HTTP and WebSocket). */
export const ACCESS_TOKEN_AUDIENCE = 'parley-api';

/**
 * What a verified access token must say: whose it is (`sub`), which log-in session it belongs to
 * (`sid`, the refresh-token family: ending the session ends its tokens and sockets) and when it
 * expires (`exp`: a token without one is refused, whatever its signature). `iss` and `aud` are
 * checked by the verifier against the constants above.
 */
export const accessTokenClaimsSchema = z.object({
  sub: z.guid(),
  sid: z.guid(),
  exp: z.number().int().positive(),
});

/** The authenticated principal an access token yields (`req.user` on guarded routes). */
export interface AuthenticatedPrincipal {
  userId: string;
  sessionId: string;
  /** The token's `exp`, in epoch seconds. */
  expiresAt: number;
}

/** The claims this gateway signs (iss, aud, iat and exp are added by the signer). */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
}

export const ACCESS_TOKEN_ALGORITHM = 'HS256';
