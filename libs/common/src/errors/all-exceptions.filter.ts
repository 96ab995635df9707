import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '@parley/protocol';
import { requestIdOf } from '../logging/logging.module';
import { AppException } from './app.exception';
import { dependencyUnavailable, isDependencyOutage } from './dependency-outage';

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    fields?: { field: string; message: string }[];
    requestId?: string;
  };
}

/**
 * The one HTTP fallback filter: every error leaves as `{ error: { code, message, requestId } }`.
 * Stack traces stay in the server log (with the same request id), never in the response.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(caught: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw caught;
    const outage = isDependencyOutage(caught);
    if (outage) this.logger.warn(`dependency unavailable: ${(caught as Error).message}`);
    const exception = outage ? dependencyUnavailable() : caught;
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string | number }>();
    // Set by the request logger; a service without one (requestLogs: false) names it here.
    const requestId = req.id === undefined ? requestIdOf(req) : String(req.id);
    const { status, body } = toErrorBody(exception, requestId);
    if (status >= 500 && !outage) {
      this.logger.error(
        { err: exception, requestId },
        exception instanceof Error ? exception.message : 'unhandled error',
      );
    }
    if (exception instanceof AppException && exception.details?.retryAfterSeconds) {
      res.setHeader('Retry-After', String(exception.details.retryAfterSeconds));
    }
    res.status(status).json(body);
  }
}

export function toErrorBody(
  exception: unknown,
  requestId?: string,
): { status: number; body: ErrorBody } {
  if (exception instanceof AppException) {
    return {
      status: HTTP_STATUS_BY_CODE[exception.code],
      body: {
        error: {
          code: exception.code,
          message: exception.message,
          ...(exception.details?.fields ? { fields: exception.details.fields } : {}),
          requestId,
        },
      },
    };
  }
  // Body-parser failures (malformed JSON, body over the limit) arrive as http-errors objects.
  const parserError = exception as { type?: string; status?: number } | undefined;
  if (parserError?.type === 'entity.too.large') {
    return {
      status: 400,
      body: {
        error: {
          code: ErrorCode.PayloadTooLarge,
          message: 'Request body is too large',
          fields: [{ field: '(body)', message: 'request body exceeds the size limit' }],
          requestId,
        },
      },
    };
  }
  if (parserError?.type === 'entity.parse.failed') {
    return {
      status: 400,
      body: {
        error: {
          code: ErrorCode.ValidationFailed,
          message: 'Request body is not valid JSON',
          fields: [{ field: '(body)', message: 'malformed JSON' }],
          requestId,
        },
      },
    };
  }
  // Any other client-side body-parser refusal (unsupported charset or content encoding, an
  // aborted or mis-sized body): its own 4xx, never a 500.
  if (
    parserError?.type !== undefined &&
    typeof parserError.status === 'number' &&
    parserError.status >= 400 &&
    parserError.status < 500
  ) {
    const unsupported = parserError.status === 415;
    return {
      status: parserError.status,
      body: {
        error: {
          code: unsupported ? ErrorCode.UnsupportedMediaType : ErrorCode.ValidationFailed,
          message: unsupported
            ? 'Unsupported body charset or content encoding (send UTF-8 JSON, uncompressed or gzip/deflate)'
            : 'The request body could not be read',
          fields: [{ field: '(body)', message: parserError.type }],
          requestId,
        },
      },
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code =
      status === 404
        ? ErrorCode.NotFound
        : status === 401
          ? ErrorCode.Unauthorized
          : status === 403
            ? ErrorCode.Forbidden
            : status === 429
              ? ErrorCode.RateLimited
              : status < 500
                ? ErrorCode.ValidationFailed
                : ErrorCode.Internal;
    const message = status < 500 ? exception.message : 'Internal server error';
    return { status, body: { error: { code, message, requestId } } };
  }
  return {
    status: 500,
    body: { error: { code: ErrorCode.Internal, message: 'Internal server error', requestId } },
  };
}
