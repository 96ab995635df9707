import { ErrorCode, type FieldProblem } from '@parley/protocol';

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
