import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A hash index on the conversations' ids, for the statements that find a conversation by its id:
 * a returning device's sync positions (one look-up per conversation it is in), a new device's
 * others, the append's seq allocation and its members. They probed the primary key, a B-tree
 * over text ids in the database's collation, whose descent compares ids with the locale's rules;
 * a hash index finds an id by its hash and compares bytes once. Counted in instructions by
 * tools/bench/pg-instructions on the load tool's connect database (1,000 users, 50,000
 * conversations, the busiest user's 101): a returning device's positions 3.94 M -> 2.92 M per
 * call, a new device's others 2.34 M -> 1.32 M, a one-message append 865 k -> 839 k
 * (docs/PERFORMANCE.md, "Conversations found by a hash of their id").
 *
 * The primary key stays: the messages' foreign key and every read in id order use it. Ids never
 * change, so an update that PostgreSQL can keep on its page (a HOT update) writes no index; one it
 * cannot writes this index too.
 */
export class AddConversationsIdHash1765300000000 implements MigrationInterface {
  name = 'AddConversationsIdHash1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX conversations_id_hash ON conversations USING hash (id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX conversations_id_hash`);
  }
}
