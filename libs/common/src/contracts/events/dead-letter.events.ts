import { z } from 'zod/v4';
import { defineEvent } from '../envelope';

/**
 * What a consumer could not process: the reason and the original record, bytes intact (base64),
 * so an operator can inspect it and replay it once fixed. Keyed by the original key.
 */
export const DeadLetterV1 = defineEvent(
  'dead-letter',
  1,
  z
    .object({
      sourceTopic: z.string(),
      sourcePartition: z.number().int().nonnegative(),
      sourceOffset: z.string(),
      consumerGroup: z.string(),
      reason: z.string().max(2000),
      originalKey: z.string().nullable(),
      originalValueBase64: z.string().nullable(),
      originalHeaders: z.record(z.string(), z.string()),
    })
    .strict(),
);
