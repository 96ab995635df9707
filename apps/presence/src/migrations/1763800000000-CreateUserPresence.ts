import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Presence (owned by the presence service): when each user was last seen active. No foreign key
 * to users: accounts belong to the gateway's schema, and presence only learns of users from
 * account events.
 */
export class CreateUserPresence1763800000000 implements MigrationInterface {
  name = 'CreateUserPresence1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_presence (
        user_id uuid PRIMARY KEY,
        last_seen_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_presence`);
  }
}
