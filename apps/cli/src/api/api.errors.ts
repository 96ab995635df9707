/** The server answered with an error body ({error:{code, message, fields?}}). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
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

/** There are no credentials, or the refresh token was refused: the user must log in again. */
export class NotLoggedInError extends Error {
  constructor(message = 'not logged in: run `parley login`') {
    super(message);
    this.name = 'NotLoggedInError';
  }
}

export function apiErrorFromBody(status: number, body: unknown): ApiError {
  const error =
    body && typeof body === 'object' && 'error' in body
      ? (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } }).error
      : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  const fields = Array.isArray(error?.fields)
    ? error.fields.flatMap((f: unknown) => {
        if (!f || typeof f !== 'object') return [];
        const { field, message: text } = f as { field?: unknown; message?: unknown };
        return typeof field === 'string'
          ? [{ field, message: typeof text === 'string' ? text : '' }]
          : [];
      })
    : [];
  return new ApiError(status, code, message, fields);
}
