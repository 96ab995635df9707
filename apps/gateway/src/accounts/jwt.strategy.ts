import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { APP_CONFIG } from '@parley/common';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { z } from 'zod';
import type { GatewayConfig } from '../config/gateway.config';
import { AccountsException } from './accounts.exception';
import { jwtKeyOption } from './jwt-key';

/** The authenticated principal a Bearer access token yields (`req.user` on guarded routes). */
export interface AuthenticatedPrincipal {
  userId: string;
}

const claimsSchema = z.object({ sub: z.string().uuid() });

/** passport-jwt: `Authorization: Bearer <HS256 JWT>`, signature and expiry checked. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: GatewayConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: jwtKeyOption(config.JWT_SECRET),
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): AuthenticatedPrincipal {
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw AccountsException.invalidAccessToken();
    return { userId: claims.data.sub };
  }
}
