import { z } from 'zod/v4';

/**
 * Images: uploaded over HTTP (`POST /v1/images`, the raw bytes), processed by the server
 * (orientation applied, metadata stripped, a display size and a thumbnail made, a tiny
 * placeholder kept), then sent as part of a message (`send` with `image: { id }`). Only the
 * uploader and the members of a conversation the image was sent to can fetch it
 * (`GET /v1/images/{imageId}/{variant}`); everyone else gets 404.
 */

/** The content types an upload may declare; the server checks the bytes, not the declaration. */
export const IMAGE_UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageUploadType = (typeof IMAGE_UPLOAD_TYPES)[number];

/** What the server serves: every variant is WebP, without metadata. */
export const IMAGE_SERVED_TYPE = 'image/webp';

/** The versions of an image one can fetch: a thumbnail (≤ 320 px a side) and the display size (≤ 1600 px). */
export const IMAGE_VARIANTS = ['thumb', 'display'] as const;
export type ImageVariant = (typeof IMAGE_VARIANTS)[number];

export const imageIdSchema = z.guid();

/** Longest placeholder accepted: a data URI of a WebP at most 16 px a side. */
export const IMAGE_PLACEHOLDER_MAX = 1_000;

const dimension = z.number().int().min(1).max(100_000);

/**
 * An image as a message carries it: enough for a client to draw a box of the right shape, with
 * the placeholder inside, before it downloads anything. `width` and `height` are the display
 * version's (the image as shown, orientation applied); `bytes` is the display version's size.
 */
export const messageImageSchema = z
  .object({
    id: imageIdSchema,
    width: dimension,
    height: dimension,
    bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    type: z.literal(IMAGE_SERVED_TYPE),
    placeholder: z
      .string()
      .max(IMAGE_PLACEHOLDER_MAX)
      .regex(/^data:image\/webp;base64,[A-Za-z0-9+/]+=*$/, 'must be a WebP data URI'),
  })
  .strict();
export type MessageImage = z.output<typeof messageImageSchema>;

/** A processed image as the server keeps it, as messages carry it (`bytes`: the display size's). */
export function messageImageOf(stored: {
  id: string;
  width: number;
  height: number;
  displayBytes: number;
  placeholder: string;
}): MessageImage {
  return {
    id: stored.id,
    width: stored.width,
    height: stored.height,
    bytes: stored.displayBytes,
    type: IMAGE_SERVED_TYPE,
    placeholder: stored.placeholder,
  };
}

/** `POST /v1/images` answer (201): the processed image, ready to send. */
export const imageUploadAnswerSchema = z.object({ image: messageImageSchema }).strict();
export type ImageUploadAnswer = z.output<typeof imageUploadAnswerSchema>;

/** `GET /v1/images/{imageId}/{variant}` path. */
export const imageParamsSchema = z
  .object({ imageId: imageIdSchema, variant: z.enum(IMAGE_VARIANTS) })
  .strict();
export type ImageParams = z.output<typeof imageParamsSchema>;

/** A send's image: the id `POST /v1/images` answered; the server fills in the rest. */
export const sendImageSchema = z.object({ id: imageIdSchema }).strict();

/** The image formats Parley accepts, by their bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/**
 * The format the first bytes of a file say it is (JPEG FF D8 FF, PNG's 8-byte signature, WebP
 * `RIFF....WEBP`), or null: no decoding, so the gateway refuses an SVG, a renamed text file or
 * anything else at once, whatever Content-Type the client declared. Storage's decoder checks again.
 */
export function sniffImageFormat(head: Uint8Array): ImageFormat | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, PNG_MAGIC)) return 'png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  return null;
}

/** The content type to upload each format with. */
export const IMAGE_FORMAT_TYPES: Record<ImageFormat, ImageUploadType> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};
