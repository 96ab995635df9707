import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Receipts: `conversation_members.delivered_seq`, the highest seq some device of the member holds
 * (the max of its `device_cursors`), kept by storage in the cursor step's transaction together
 * with `read_seq`. A sender's "delivered" and "read" marks are derived from these two columns; a
 * member who read up to a seq has it delivered too, so `delivered_seq >= read_seq` always holds.
 */
export class AddMemberDeliveredSeq1764100000000 implements MigrationInterface {
  name = 'AddMemberDeliveredSeq1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE conversation_members ADD COLUMN delivered_seq bigint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`
      UPDATE conversation_members m
         SET delivered_seq = GREATEST(m.read_seq, COALESCE(
               (SELECT max(d.delivered_seq) FROM device_cursors d
                 WHERE d.user_id = m.user_id AND d.conversation_id = m.conversation_id), 0))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE conversation_members DROP COLUMN delivered_seq`);
  }
}
