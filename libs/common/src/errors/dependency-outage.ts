import { ErrorCode } from '@parley/protocol';
import { AppException } from './app.exception';

/** Connection-level failures of PostgreSQL (class 08, shutdown 57P0x) and of sockets. */
const OUTAGE_SQLSTATE = /^(08|57P0)/;
const OUTAGE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN']);
const OUTAGE_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: every connection busy past the timeout
  'Connection terminated', // pg: the server went away mid-query
  'Connection is closed', // ioredis
  "Stream isn't writeable", // ioredis with the offline queue off
];

/**
 * True when `err` says a dependency (PostgreSQL, Redis) is down or saturated rather than that the
 * request was wrong: such a request may simply be retried later, so it is answered `unavailable`
 * (503, with a retry hint) instead of `internal`.
 */
export function isDependencyOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code, name } = err as Error & { code?: unknown };
  if (typeof code === 'string' && (OUTAGE_ERRNO.has(code) || OUTAGE_SQLSTATE.test(code))) {
    return true;
  }
  if (name === 'MaxRetriesPerRequestError') return true;
  return OUTAGE_MESSAGES.some((m) => err.message.includes(m));
}

/** The answer to a request that met a dependency outage: retry later, same request. */
export function dependencyUnavailable(): AppException {
  return new AppException(
    ErrorCode.Unavailable,
    'A backing service is unavailable; retry later with the same request',
    { retryAfterSeconds: 1 },
  );
}
