import type { ImageFormat } from '@parley/protocol';
import type { ImageLimits, ImageRefusalCode } from './image-processor';

/** Storage -> its image worker process: process one staged upload. */
export interface ImageJob {
  jobId: number;
  stagedKey: string;
  limits: ImageLimits;
}

/** What the worker stored of an image (both versions in the blob store already). */
export interface ProcessedImageBlobs {
  format: ImageFormat;
  width: number;
  height: number;
  displayKey: string;
  displayBytes: number;
  thumbKey: string;
  thumbBytes: number;
  placeholder: string;
}

/** The image worker -> storage: one answer per job. */
export type ImageJobResult =
  | { jobId: number; outcome: 'processed'; image: ProcessedImageBlobs }
  | { jobId: number; outcome: 'refused'; code: ImageRefusalCode; message: string }
  | { jobId: number; outcome: 'gone' }
  | { jobId: number; outcome: 'failed'; message: string }
  /** The worker died on it (a decoder crash, or out of memory): the file is not kept. */
  | { jobId: number; outcome: 'crashed'; message: string };
