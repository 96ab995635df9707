import { DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { serializeError } from './error-serializer';

/**
 * Paths pino masks wherever they appear in a log object: credentials, tokens and message text.
 * Logs carry ids and sizes, never secrets or what people wrote.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.query.ticket',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.ticket',
  '*.text',
  '*.body',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'text',
];

export interface LoggingOptions {
  service: string;
  level: string;
  pretty?: boolean;
  /**
   * Bind a request-scoped logger (request id) to each HTTP request (default true). The
   * binding runs every request in an AsyncLocalStorage, which from then on makes every promise
   * of the process dearer (a promise hook on each one); services whose HTTP serves only health
   * and metrics turn it off.
   */
  requestContext?: boolean;
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/** A request's id: its `X-Request-Id` when well-formed, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** Structured JSON logs with the service name and a request id (taken from x-request-id or made). */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          // No routes: the request middleware (and its AsyncLocalStorage) never runs.
          ...(options.requestContext === false ? { forRoutes: [] } : {}),
          pinoHttp: {
            name: options.service,
            level: options.level,
            base: { service: options.service, pid: process.pid },
            redact: { paths: REDACT_PATHS, censor: '[redacted]' },
            genReqId: requestIdOf,
            customLogLevel: (_req, res, err) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
            serializers: {
              err: serializeError,
              req: (req: { id: unknown; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                // Drop the query string: it may hold a connect ticket.
                url: typeof req.url === 'string' ? req.url.split('?')[0] : req.url,
              }),
            },
            autoLogging: {
              ignore: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics',
            },
            ...(options.pretty ? { transport: { target: 'pino-pretty' } } : {}),
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
