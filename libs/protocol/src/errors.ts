import { z } from 'zod/v4';

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
  /** An upload larger than the server's cap (IMAGE_MAX_BYTES). */
  ImageTooLarge = 'image_too_large',
  /** The bytes are not a JPEG, PNG or WebP image, whatever the declared type. */
  ImageTypeUnsupported = 'image_type_unsupported',
  /** More pixels than the server decodes (IMAGE_MAX_PIXELS): refused from the header. */
  ImageTooManyPixels = 'image_too_many_pixels',
  /** The image's header is fine but its data cannot be decoded. */
  ImageUnreadable = 'image_unreadable',
  /** The uploader's stored images would exceed their quota. */
  QuotaExceeded = 'quota_exceeded',
}

/** The HTTP status each code is answered with. */
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
  [ErrorCode.ImageTooLarge]: 413,
  [ErrorCode.ImageTypeUnsupported]: 415,
  [ErrorCode.ImageTooManyPixels]: 422,
  [ErrorCode.ImageUnreadable]: 422,
  [ErrorCode.QuotaExceeded]: 413,
};

export const errorCodeSchema = z.enum(ErrorCode);

export const fieldProblemSchema = z.object({ field: z.string(), message: z.string() });
export type FieldProblem = z.output<typeof fieldProblemSchema>;

/** Every HTTP error: `{ error: { code, message, fields?, requestId? } }`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    fields: z.array(fieldProblemSchema).optional(),
    requestId: z.string().optional(),
  }),
});
export type ErrorBody = z.output<typeof errorBodySchema>;
