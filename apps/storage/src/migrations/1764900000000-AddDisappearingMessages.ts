import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disappearing messages.
 *
 * - `conversations.timer_seconds`: the timer in force (NULL: messages stay), set by a `timer`
 *   event in the conversation's order.
 * - `messages.expires_at`: fixed when the message is stored (its server time + the timer then);
 *   `messages.expired`: the content is gone (body '', no image), the row stays as a tombstone so
 *   seqs stay gap-free. `messages_expiry_idx` holds only what is still to delete, so the
 *   sweeper's scan is as small as the work.
 * - `images_display_key_idx`, `images_thumb_key_idx`: whether a blob is still used by another
 *   image before the sweeper deletes it.
 */
export class AddDisappearingMessages1764900000000 implements MigrationInterface {
  name = 'AddDisappearingMessages1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE conversations
        ADD COLUMN timer_seconds integer CONSTRAINT conversations_timer_ck CHECK (timer_seconds > 0)`);
    await queryRunner.query(`
      ALTER TABLE messages
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN expired boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `CREATE INDEX messages_expiry_idx ON messages (expires_at)
        WHERE expires_at IS NOT NULL AND NOT expired`,
    );
    // Whether another image still uses a blob (content-addressed: the same bytes, one blob).
    await queryRunner.query(`CREATE INDEX images_display_key_idx ON images (display_key)`);
    await queryRunner.query(`CREATE INDEX images_thumb_key_idx ON images (thumb_key)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX images_thumb_key_idx`);
    await queryRunner.query(`DROP INDEX images_display_key_idx`);
    await queryRunner.query(`DROP INDEX messages_expiry_idx`);
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN expired, DROP COLUMN expires_at`);
    await queryRunner.query(`ALTER TABLE conversations DROP COLUMN timer_seconds`);
  }
}
