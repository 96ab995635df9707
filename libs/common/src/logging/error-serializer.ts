import { stdSerializers } from 'pino';

/**
 * Error properties that carry the DATA a failing statement or request was about rather than the
 * failure: TypeORM's `parameters` (bound values: password hashes, emails, message text), the
 * driver's copy of the same error, and PostgreSQL's `detail` / `where` ("Key (email)=(…) already
 * exists"). `query` (the SQL text, values bound separately) and the error code stay: they say
 * what failed without saying about whom.
 */
const DATA_FIELDS = ['parameters', 'driverError', 'detail', 'where', 'body', 'requestBody'];

/** Driver fields worth keeping from a dropped `driverError`: codes and names, never values. */
const DRIVER_FIELDS = ['code', 'constraint', 'table', 'column', 'routine', 'severity'];

/** pino's error serializer, minus any field that can hold user data (see DATA_FIELDS). */
export function serializeError(err: unknown): unknown {
  const serialized = stdSerializers.err(err as Error) as unknown;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const out = serialized as Record<string, unknown>;
  const driver = out.driverError;
  for (const field of DATA_FIELDS) delete out[field];
  if (typeof driver === 'object' && driver !== null) {
    const kept: Record<string, unknown> = {};
    for (const field of DRIVER_FIELDS) {
      const value = (driver as Record<string, unknown>)[field];
      if (value !== undefined) kept[field] = value;
    }
    out.driver = kept;
  }
  return out;
}
