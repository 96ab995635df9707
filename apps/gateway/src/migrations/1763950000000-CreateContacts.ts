import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contacts (owned by the gateway): a user's address book, one row per (owner, contact). Also an
 * index for the case-insensitive username prefix search (`LIKE 'al%'` needs text_pattern_ops).
 */
export class CreateContacts1763950000000 implements MigrationInterface {
  name = 'CreateContacts1763950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE contacts (
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        contact_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner_id, contact_id),
        CONSTRAINT contacts_not_self_ck CHECK (owner_id <> contact_id)
      )
    `);
    await queryRunner.query(`CREATE INDEX contacts_contact_id_idx ON contacts (contact_id)`);
    await queryRunner.query(
      `CREATE INDEX users_username_key_prefix_idx ON users (username_key text_pattern_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX users_username_key_prefix_idx`);
    await queryRunner.query(`DROP TABLE contacts`);
  }
}
