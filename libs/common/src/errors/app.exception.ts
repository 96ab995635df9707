/** Stable error codes clients can switch on. Messages are for people; codes are the contract. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  RateLimited = 'rate_limited',
  Overloaded = 'overloaded',
  Unavailable = 'unavailable',
  Internal = 'internal',
}

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.PayloadTooLarge]: 400,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Overloaded]: 503,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Internal]: 500,
};

export interface FieldProblem {
  field: string;
  message: string;
}

/** A domain error: services throw these, never HTTP exceptions; filters map them per transport. */
export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: {
      fields?: FieldProblem[];
      /** HTTP: the Retry-After header. */
      retryAfterSeconds?: number;
      /** WebSocket: the error frame's `retryAfterMs`. */
      retryAfterMs?: number;
    },
  ) {
    super(message);
    this.name = 'AppException';
  }
}
