import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '../config/config.module';
import { ErrorCode } from '@parley/protocol';
import { AppException } from '../errors/app.exception';

/** Headers a reverse proxy adds: a request carrying one did not come from this machine's operator. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Internal endpoints (metrics, session's gateway directory, presence's reads) are for operators
 * and sibling services, not for the internet. With INTERNAL_API_TOKEN set, a request must carry
 * `Authorization: Bearer <token>`. Without it, only a loopback peer that came through no proxy
 * (no Forwarded / X-Forwarded-For / X-Real-IP) is let in. Everything else: 403.
 */
@Injectable()
export class InternalOnlyGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: { INTERNAL_API_TOKEN?: string }) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (isInternalRequest(req, this.config.INTERNAL_API_TOKEN)) return true;
    throw new AppException(ErrorCode.Forbidden, 'This endpoint is internal');
  }
}

/** The rule InternalOnlyGuard applies, for answers that only add detail for internal callers. */
export function isInternalRequest(req: Request, token: string | undefined): boolean {
  if (token !== undefined) {
    const header = req.headers.authorization ?? '';
    return header.startsWith('Bearer ') && sameSecret(header.slice(7), token);
  }
  return (
    isLoopbackAddress(req.socket.remoteAddress) &&
    PROXY_HEADERS.every((h) => req.headers[h] === undefined)
  );
}
