import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UNSENT_IMAGE_SEND_WINDOW_MS } from '@parley/common';
import { type ImageVariant, type MessageImage, messageImageOf } from '@parley/protocol';
import { DataSource } from 'typeorm';

interface ImageRow {
  id: string;
  width: number;
  height: number;
  display_bytes: number;
  placeholder: string;
}

/**
 * Read model: storage's `images` (and the messages carrying them), as the gateway reads it to
 * attach an image to a send, to check an uploader's quota, and to decide who may fetch one.
 */
@Injectable()
export class ImagesReadModel {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The image as a message carries it, if `uploaderId` uploaded it and may still send it (else
   * undefined): one a message carries already, or an unsent one younger than
   * UNSENT_IMAGE_SEND_WINDOW_MS (older ones are about to be swept).
   */
  async uploadedBy(uploaderId: string, imageId: string): Promise<MessageImage | undefined> {
    const [row] = await this.dataSource.query<ImageRow[]>(
      `SELECT id, width, height, display_bytes, placeholder FROM images i
        WHERE id = $1 AND uploader_id = $2
          AND (created_at > now() - make_interval(secs => $3)
               OR EXISTS (SELECT 1 FROM messages m WHERE m.image_id = i.id))`,
      [imageId, uploaderId, UNSENT_IMAGE_SEND_WINDOW_MS / 1000],
    );
    return row === undefined
      ? undefined
      : messageImageOf({ ...row, displayBytes: row.display_bytes });
  }

  /** What the uploader's images take (both served sizes): their quota's use. */
  async storedBytesOf(uploaderId: string): Promise<number> {
    const [row] = await this.dataSource.query<{ total: string }[]>(
      `SELECT coalesce(sum(stored_bytes), 0) AS total FROM images WHERE uploader_id = $1`,
      [uploaderId],
    );
    return Number(row?.total ?? 0);
  }

  /**
   * The blob key of `variant` of the image, if `userId` may see it: its uploader, or a member of
   * a conversation where a message carries it, from the seqs that member may read (a group
   * showing history from joining hides what came before; a former member keeps what came before
   * it left). Undefined otherwise, the same as for no such image.
   */
  async blobKeyFor(
    userId: string,
    imageId: string,
    variant: ImageVariant,
  ): Promise<string | undefined> {
    const [row] = await this.dataSource.query<{ display_key: string; thumb_key: string }[]>(
      `SELECT i.display_key, i.thumb_key FROM images i
        WHERE i.id = $1
          AND (i.uploader_id = $2 OR EXISTS (
                SELECT 1 FROM messages m
                  JOIN conversation_members cm
                    ON cm.conversation_id = m.conversation_id AND cm.user_id = $2
                 WHERE m.image_id = i.id
                   AND m.seq >= cm.visible_from
                   AND (cm.left_seq IS NULL OR m.seq < cm.left_seq)))`,
      [imageId, userId],
    );
    if (row === undefined) return undefined;
    return variant === 'display' ? row.display_key : row.thumb_key;
  }
}
