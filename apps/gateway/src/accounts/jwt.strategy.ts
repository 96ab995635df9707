import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { APP_CONFIG } from '@parley/common';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { GatewayConfig } from '../config/gateway.config';
import type { AuthenticatedPrincipal } from './access-token';
import { ACCESS_TOKEN_VERIFY_OPTIONS, AccessTokenVerifier } from './access-token.verifier';
import { jwtKeyOption } from './jwt-key';

export type { AuthenticatedPrincipal };

/** passport-jwt: `Authorization: Bearer <HS256 JWT>`; see AccessTokenVerifier for the rules. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: GatewayConfig,
    private readonly verifier: AccessTokenVerifier,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: jwtKeyOption(config.JWT_SECRET),
      algorithms: [...ACCESS_TOKEN_VERIFY_OPTIONS.algorithms],
      issuer: ACCESS_TOKEN_VERIFY_OPTIONS.issuer,
      audience: ACCESS_TOKEN_VERIFY_OPTIONS.audience,
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): Promise<AuthenticatedPrincipal> {
    return this.verifier.principal(payload);
  }
}
