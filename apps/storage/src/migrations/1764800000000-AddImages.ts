import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Images: one row per processed upload, and the image a message carries.
 *
 * - `images`: who uploaded it, its shown size (orientation applied), the blob-store keys of its
 *   two served versions (display and thumbnail, WebP without metadata; content-addressed) and
 *   their sizes, and its placeholder. `stored_bytes` (both versions) is what counts against the
 *   uploader's quota, summed through `images_uploader_idx`. A refused upload leaves no row.
 * - `messages.image_id` / `messages.image`: the image a message carries, as the message was
 *   stored (the jsonb is what members' devices get, so a read joins nothing). The partial index
 *   answers "may this user fetch this image": a message carrying it in a conversation of theirs.
 *   No foreign key to `images`: the gateway checks the image before accepting the send, and a
 *   constraint failing one row would fail the whole batch's append.
 */
export class AddImages1764800000000 implements MigrationInterface {
  name = 'AddImages1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE images (
        id uuid PRIMARY KEY,
        uploader_id uuid NOT NULL,
        source_format text NOT NULL CONSTRAINT images_source_format_ck
          CHECK (source_format IN ('jpeg', 'png', 'webp')),
        width integer NOT NULL CONSTRAINT images_width_ck CHECK (width > 0),
        height integer NOT NULL CONSTRAINT images_height_ck CHECK (height > 0),
        display_key text NOT NULL,
        display_bytes integer NOT NULL,
        thumb_key text NOT NULL,
        thumb_bytes integer NOT NULL,
        placeholder text NOT NULL,
        stored_bytes bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX images_uploader_idx ON images (uploader_id)`);
    await queryRunner.query(`
      ALTER TABLE messages
        ADD COLUMN image_id uuid,
        ADD COLUMN image jsonb`);
    await queryRunner.query(
      `CREATE INDEX messages_image_idx ON messages (image_id) WHERE image_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX messages_image_idx`);
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN image, DROP COLUMN image_id`);
    await queryRunner.query(`DROP TABLE images`);
  }
}
