import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';

/** A request as the request log sees it: `id` is set here for the handlers and the error filter. */
export type LoggedRequest = IncomingMessage & { id?: unknown };

/** Express's middleware shape, without depending on Express's types in this library. */
export type RequestLogMiddleware = (
  req: LoggedRequest,
  res: ServerResponse,
  next: () => void,
) => void;

export interface RequestLogOptions {
  /** The request's id (`X-Request-Id` when well-formed, else a new one). */
  requestId: (req: IncomingMessage) => string;
  /** Requests that get an id but no line (health checks, metrics scrapes). */
  ignore: (req: IncomingMessage) => boolean;
}

/** 5xx at `error`, other 4xx at `info`, the rest at `debug`. */
export function requestLogLevel(statusCode: number): Level {
  if (statusCode >= 500) return 'error';
  return statusCode >= 400 ? 'info' : 'debug';
}

/**
 * The request log: every request gets its id on `req.id`, and one line once its answer is done
 * (`request completed`, `request errored` for a 5xx, `request aborted` when the client left first)
 * with the request's id, method and path (never its query string: it may hold a connect ticket),
 * the status, the answer's headers (the logger's redaction masks `set-cookie`) and the time taken.
 *
 * pino-http did this before, and built a child logger per request for it (its bindings, the
 * request serialised and redacted) whether or not the line was ever written: about a tenth of
 * what a small request cost a gateway (docs/PERFORMANCE.md, "The HTTP pipeline"). Here the line
 * is built only when its level is enabled, and a request costs an id and one listener otherwise.
 */
export function requestLogMiddleware(
  logger: Logger,
  options: RequestLogOptions,
): RequestLogMiddleware {
  return (req, res, next) => {
    req.id = options.requestId(req);
    // No line of this log is enabled (its most severe is `error`): the request needs only its id.
    if (!logger.isLevelEnabled('error') || options.ignore(req)) {
      next();
      return;
    }
    const started = Date.now();
    // As it arrived: routers may rewrite `req.url` on the way.
    const url = pathOf(req.url);
    // 'close' follows 'finish' for every answer, and comes alone when the client left first.
    res.once('close', () => logAnswer(logger, req, url, res, Date.now() - started));
    next();
  };
}

function logAnswer(
  logger: Logger,
  req: LoggedRequest,
  url: string | undefined,
  res: ServerResponse,
  responseTime: number,
): void {
  const level = requestLogLevel(res.statusCode);
  if (!logger.isLevelEnabled(level)) return;
  const line = {
    req: { id: req.id, method: req.method, url },
    res: { statusCode: res.statusCode, headers: res.getHeaders() },
    responseTime,
  };
  const message =
    level === 'error'
      ? 'request errored'
      : res.writableFinished
        ? 'request completed'
        : 'request aborted';
  logger[level](line, message);
}

/** The path without its query string. */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
