import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Groups. A group is a conversation of kind `group` with a `title`; its membership changes are
 * messages of the conversation (`messages.event`, the structured event; `body` says it in words),
 * so they take seqs in the conversation's order.
 *
 * - `conversation_members.role`: `admin` or `member` (1:1 members are members).
 * - `conversation_members.username`: the member's username when it joined a group (from the
 *   change event, as the gateway resolved it): storage names the member promoted when a group's
 *   last admin leaves without reading the gateway's `users`. NULL for 1:1 members.
 * - `conversation_members.left_seq`: the seq of the event that ended the membership (left or
 *   removed), NULL while a member. The row stays: a former member keeps read access to the
 *   conversation up to that seq and nothing after it. Every "is a member" check reads
 *   `left_seq IS NULL`.
 */
export class AddGroups1764200000000 implements MigrationInterface {
  name = 'AddGroups1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE conversations ADD COLUMN title text`);
    await queryRunner.query(`
      ALTER TABLE conversation_members
        ADD COLUMN role text NOT NULL DEFAULT 'member',
        ADD COLUMN username text,
        ADD COLUMN left_seq bigint,
        ADD CONSTRAINT conversation_members_role_ck CHECK (role IN ('admin', 'member'))`);
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN event jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN event`);
    await queryRunner.query(`
      ALTER TABLE conversation_members
        DROP CONSTRAINT conversation_members_role_ck,
        DROP COLUMN left_seq,
        DROP COLUMN username,
        DROP COLUMN role`);
    await queryRunner.query(`ALTER TABLE conversations DROP COLUMN title`);
  }
}
