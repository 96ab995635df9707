import { errorBodySchema, type FieldProblem } from '@parley/protocol';

/** The server answered with an error body (`{ error: { code, message, fields? } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    /** From the Retry-After header of a 429 or 503, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** One line for people: the message plus each field problem. */
  describe(): string {
    const fields = this.fields.map((f) => `${f.field}: ${f.message}`).join('; ');
    return fields ? `${this.message} (${fields})` : this.message;
  }
}

/** No server answered (refused, reset, timed out). Offline is normal for a messenger. */
export class OfflineError extends Error {
  constructor(
    readonly server: string,
    cause: unknown,
  ) {
    super(`cannot reach ${server}`, { cause });
    this.name = 'OfflineError';
  }
}

/** There are no credentials, or the session ended: the user must log in again. */
export class NotLoggedInError extends Error {
  constructor(message = 'not logged in') {
    super(message);
    this.name = 'NotLoggedInError';
  }
}

/** An answer that does not match the protocol (a server of another version, or a proxy's page). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** An error body (validated), or a generic one naming the status. */
export function apiErrorFromBody(status: number, body: unknown, retryAfter?: number): ApiError {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success)
    return new ApiError(status, `http_${status}`, `HTTP ${status}`, [], retryAfter);
  const { code, message, fields } = parsed.data.error;
  return new ApiError(status, code, message, fields ?? [], retryAfter);
}

/** An answer's text as JSON; undefined when it is empty or not JSON. */
export function parseAnswerJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** A non-2xx answer as its ApiError: its error body, and its Retry-After header in seconds. */
export function apiErrorFromAnswer(
  status: number,
  text: string,
  retryAfter: string | null | undefined,
): ApiError {
  const retry = Number(retryAfter);
  return apiErrorFromBody(
    status,
    parseAnswerJson(text),
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}
