import { z } from 'zod/v4';
import { gatewayIdSchema, imageIdSchema, isoTimeSchema, userIdSchema } from '@parley/protocol';
import { STAGING_KEY } from '../../blobs/blob-store';
import { defineEvent } from '../envelope';

/**
 * An upload a gateway received and staged in the blob store (its size within the cap and its
 * first bytes those of a JPEG, PNG or WebP image), for storage to process: decode it within the
 * pixel cap, apply the orientation, strip the metadata, store a display size and a thumbnail, and
 * answer the waiting gateway (`RedisChannels.imageResults(replyTo)`). Keyed by imageId. Processing
 * is idempotent: a redelivered upload answers again from the stored row.
 */
export const ImageUploadedV1 = defineEvent(
  'image.uploaded',
  1,
  z
    .object({
      imageId: imageIdSchema,
      uploaderId: userIdSchema,
      /** The staged bytes' key in the blob store (deleted once processed, whatever the outcome). */
      stagedKey: z.string().regex(STAGING_KEY),
      bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      /** The gateway whose HTTP request waits for the answer. */
      replyTo: gatewayIdSchema,
      uploadedAt: isoTimeSchema,
    })
    .strict(),
);

/**
 * An uploaded image no message carries is deleted (row and blobs) once it is this old: uploads
 * nobody sends do not hold their uploader's quota or the store forever (storage's sweeper).
 */
export const UNSENT_IMAGE_TTL_MS = 24 * 3_600_000;
/**
 * How old an unsent image may be and still be attached to a send (the gateway's accept step): an
 * hour under the TTL, so a send accepted near the end of that window is stored before the sweep
 * may take its image.
 */
export const UNSENT_IMAGE_SEND_WINDOW_MS = UNSENT_IMAGE_TTL_MS - 3_600_000;

export const IMAGE_EVENTS = [ImageUploadedV1] as const;
