import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AppException, ZodValidationPipe } from '@parley/common';
import type { Request } from 'express';
import { AccountsException } from './accounts.exception';
import { loginBodySchema } from '@parley/protocol';

const loginBody = new ZodValidationPipe(loginBodySchema);

/**
 * Log-in: validates the body strictly (400 naming fields, like every other route) before
 * passport-local runs, so passport only ever sees a well-formed username and password.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override canActivate(context: ExecutionContext) {
    const req = context.switchToHttp().getRequest<Request>();
    req.body = loginBody.transform(req.body);
    return super.canActivate(context);
  }

  override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
    if (err instanceof Error) throw err;
    if (err || !user) throw AccountsException.invalidCredentials();
    return user;
  }
}

/** Bearer access token (passport-jwt); anything missing, malformed or expired is one 401. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
    if (err instanceof AppException) throw err;
    if (err || !user) throw AccountsException.invalidAccessToken();
    return user;
  }
}
