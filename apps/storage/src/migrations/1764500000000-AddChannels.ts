import { MigrationInterface, QueryRunner } from 'typeorm';

/** The protocol's ANNOUNCEMENTS_CHANNEL_ID, as it was when this migration was written. */
const ANNOUNCEMENTS_CHANNEL_ID = '0000000000000-00000000000000000000000000000001';

/**
 * Broadcast channels (kind `channel`): only admins post, members read, no member limit.
 *
 * - `conversations.public`: a channel anyone may find (GET /v1/channels) and join; false for
 *   everything else. The partial index serves that list.
 * - `conversation_members_admins_idx`: a channel's admins (who may post) without reading its
 *   members: what storage's persist step asks of a channel on every post.
 * - The announcements channel (ANNOUNCEMENTS_CHANNEL_ID): every user is a member from
 *   registration (storage's account-events consumer adds them). Users who registered before this
 *   migration are added here, from the gateway's `users` when it exists (the one read of another
 *   service's table, once, at upgrade).
 */
export class AddChannels1764500000000 implements MigrationInterface {
  name = 'AddChannels1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE conversations
        DROP CONSTRAINT conversations_kind_ck,
        ADD CONSTRAINT conversations_kind_ck CHECK (kind IN ('direct', 'group', 'channel')),
        ADD COLUMN public boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `CREATE INDEX conversations_public_channels_idx ON conversations (id)
        WHERE kind = 'channel' AND public`,
    );
    await queryRunner.query(
      `CREATE INDEX conversation_members_admins_idx ON conversation_members (conversation_id)
        WHERE role = 'admin' AND left_seq IS NULL`,
    );
    await queryRunner.query(
      `INSERT INTO conversations (id, kind, title, history, public, last_seq)
       VALUES ($1, 'channel', 'Announcements', 'all', false, 0)
       ON CONFLICT (id) DO NOTHING`,
      [ANNOUNCEMENTS_CHANNEL_ID],
    );
    await queryRunner.query(`
      DO $$ BEGIN
        IF to_regclass('users') IS NOT NULL THEN
          INSERT INTO conversation_members (conversation_id, user_id, username, role, joined_at)
          SELECT '${ANNOUNCEMENTS_CHANNEL_ID}', id, username, 'member', created_at FROM users
          ON CONFLICT DO NOTHING;
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM conversations WHERE kind = 'channel'`);
    await queryRunner.query(`DROP INDEX conversations_public_channels_idx`);
    await queryRunner.query(`DROP INDEX conversation_members_admins_idx`);
    await queryRunner.query(`
      ALTER TABLE conversations
        DROP COLUMN public,
        DROP CONSTRAINT conversations_kind_ck,
        ADD CONSTRAINT conversations_kind_ck CHECK (kind IN ('direct', 'group'))`);
  }
}
