import { Injectable } from '@nestjs/common';
import { type ImageFormat, type MessageImage, messageImageOf } from '@parley/protocol';
import { DataSource } from 'typeorm';

/** A processed image as storage keeps it. */
export interface StoredImage {
  id: string;
  uploaderId: string;
  sourceFormat: ImageFormat;
  width: number;
  height: number;
  displayKey: string;
  displayBytes: number;
  thumbKey: string;
  thumbBytes: number;
  placeholder: string;
}

interface ImageRow {
  id: string;
  width: number;
  height: number;
  display_bytes: number;
  placeholder: string;
}

/** `images` in PostgreSQL: one row per processed upload (a refused one has none). */
@Injectable()
export class ImagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The image as messages carry it, if it was processed already (a redelivered upload). */
  async find(imageId: string): Promise<MessageImage | undefined> {
    const [row] = await this.dataSource.query<ImageRow[]>(
      `SELECT id, width, height, display_bytes, placeholder FROM images WHERE id = $1`,
      [imageId],
    );
    return row === undefined
      ? undefined
      : messageImageOf({ ...row, displayBytes: row.display_bytes });
  }

  /** Idempotent: a second insert of the same id changes nothing. */
  async insert(image: StoredImage): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO images (id, uploader_id, source_format, width, height, display_key,
                           display_bytes, thumb_key, thumb_bytes, placeholder, stored_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO NOTHING`,
      [
        image.id,
        image.uploaderId,
        image.sourceFormat,
        image.width,
        image.height,
        image.displayKey,
        image.displayBytes,
        image.thumbKey,
        image.thumbBytes,
        image.placeholder,
        image.displayBytes + image.thumbBytes,
      ],
    );
  }
}
