import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { AuthService } from './auth.service';
import { clientAddress } from './request-context';
import { UserEntity } from './user.entity';

/** passport-local: username + password from the (already validated) JSON body. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true });
  }

  validate(req: Request, username: string, password: string): Promise<UserEntity> {
    return this.auth.verifyCredentials({ username, password }, clientAddress(req));
  }
}
