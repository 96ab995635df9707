import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each member's receipt cursors moved: one row per (conversation, member, cursor, seq it
 * moved to), written by the cursor step in the statement that moves `conversation_members`'
 * `delivered_seq` and `read_seq`. One row per cursor move, never per message: a member reading
 * 500 messages at once is one row. "Who has read it, and when" for a message at seq s is, per
 * member, the first move to a seq >= s (the primary key answers it with one index row).
 *
 * The cursors as they stand when this runs get a row without a time (`moved_at` NULL): they are
 * known, their times are not.
 */
export class AddReceiptMoves1764400000000 implements MigrationInterface {
  name = 'AddReceiptMoves1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE receipt_moves (
        conversation_id text NOT NULL,
        user_id uuid NOT NULL,
        kind text NOT NULL CONSTRAINT receipt_moves_kind_ck CHECK (kind IN ('delivered', 'read')),
        seq bigint NOT NULL,
        moved_at timestamptz,
        PRIMARY KEY (conversation_id, user_id, kind, seq)
      )`);
    await queryRunner.query(`
      INSERT INTO receipt_moves (conversation_id, user_id, kind, seq)
      SELECT conversation_id, user_id, 'delivered', delivered_seq FROM conversation_members
       WHERE delivered_seq > 0
      UNION ALL
      SELECT conversation_id, user_id, 'read', read_seq FROM conversation_members
       WHERE read_seq > 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE receipt_moves`);
  }
}
