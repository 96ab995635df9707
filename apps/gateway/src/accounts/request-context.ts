import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** The client address throttling counts: `req.ip` (X-Forwarded-For only from trusted proxies). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** The request id pino-http assigned (from x-request-id or generated): the correlation id. */
export function requestId(req: Request): string | undefined {
  const id = (req as Request & { id?: string | number }).id;
  return id === undefined ? undefined : String(id);
}

/** `@CorrelationId()`: the request id, carried into the events this request causes. */
export const CorrelationId = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined =>
    requestId(ctx.switchToHttp().getRequest<Request>()),
);

/** `@CurrentUser()`: what the route's passport guard put on `req.user`. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<Request>().user,
);

/** `@ClientAddress()`: the address the throttles count (see clientAddress). */
export const ClientAddress = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  clientAddress(ctx.switchToHttp().getRequest<Request>()),
);
