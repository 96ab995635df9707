import { z } from 'zod/v4';

/**
 * An ISO 8601 timestamp with seconds and a `Z` or numeric offset, as `Date#toISOString()` writes
 * it. One precompiled pattern: zod 3's `.datetime()` built a new RegExp on every parse, which
 * showed up in every consumer's CPU profile on the message path.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

export const isoTimeSchema = z
  .string()
  .regex(ISO_TIME, 'must be an ISO 8601 time with an offset')
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a valid date and time');
