import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What members added to a group later may read.
 *
 * - `conversations.history`: `joined` (from the event that added them) or `all` (everything);
 *   NULL for a 1:1 conversation. Existing groups keep what they had: everything (`all`).
 * - `conversation_members.visible_from`: the first seq the member may read, fixed when it joins
 *   (the seq of the `added` event under `joined`, else 1). Every read of a member's messages
 *   (history, sync windows, tails, pages) starts there, as it ends at `left_seq`.
 */
export class AddHistoryVisibility1764300000000 implements MigrationInterface {
  name = 'AddHistoryVisibility1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE conversations
        ADD COLUMN history text,
        ADD CONSTRAINT conversations_history_ck CHECK (history IN ('joined', 'all'))`);
    await queryRunner.query(`UPDATE conversations SET history = 'all' WHERE kind = 'group'`);
    await queryRunner.query(
      `ALTER TABLE conversation_members ADD COLUMN visible_from bigint NOT NULL DEFAULT 1`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE conversation_members DROP COLUMN visible_from`);
    await queryRunner.query(`
      ALTER TABLE conversations
        DROP CONSTRAINT conversations_history_ck,
        DROP COLUMN history`);
  }
}
