import {
  DynamicModule,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { pino, type DestinationStream } from 'pino';
import { serializeError } from './error-serializer';
import { requestLogMiddleware, type RequestLogMiddleware } from './request-log.middleware';

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
   * Log each HTTP request with its id (taken from `X-Request-Id` or made; default true). The
   * request's own log line and every error carry the id; nothing binds a logger to the request
   * through an AsyncLocalStorage (nestjs-pino's request context), which would make every promise
   * of the process dearer (a promise hook on each one, message path included). Services whose HTTP
   * serves only health and metrics turn it off.
   */
  requestLogs?: boolean;
  /** Where the JSON lines go (default: standard output; ignored with `pretty`). */
  destination?: DestinationStream;
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/** A request's id: its `X-Request-Id` when well-formed, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

/** Health checks and metrics scrapes get a request id but no request line. */
const quietRequest = (req: IncomingMessage): boolean =>
  (req.url ?? '').startsWith('/health') || req.url === '/metrics';

/**
 * Structured JSON logs with the service name, through one pino logger: Nest's logger (nestjs-pino,
 * with no routes, so its request middleware and AsyncLocalStorage never run) and, with
 * `requestLogs`, the request log as plain middleware on every route (the request's id on
 * `req.id`, a line per request; request-log.middleware.ts).
 */
@Module({})
export class LoggingModule implements NestModule {
  constructor(
    @Inject(REQUEST_LOGGER) private readonly requestLogger: RequestLogMiddleware | null,
  ) {}

  static forRoot(options: LoggingOptions): DynamicModule {
    const settings = {
      name: options.service,
      level: options.level,
      base: { service: options.service, pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    };
    const logger = options.pretty
      ? pino({ ...settings, transport: { target: 'pino-pretty' } })
      : pino(settings, options.destination);
    return {
      module: LoggingModule,
      // Nest's own lines through the same logger; no routes, so no request middleware of its own.
      imports: [LoggerModule.forRoot({ forRoutes: [], pinoHttp: { logger } })],
      providers: [
        {
          provide: REQUEST_LOGGER,
          useValue:
            options.requestLogs === false
              ? null
              : requestLogMiddleware(logger, { requestId: requestIdOf, ignore: quietRequest }),
        },
      ],
      exports: [LoggerModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.requestLogger) {
      consumer.apply(this.requestLogger).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
    }
  }
}
