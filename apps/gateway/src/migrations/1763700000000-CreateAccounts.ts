import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts (owned by the gateway): users with case-insensitive unique username and email (the
 * database, not the application, enforces uniqueness), and hashed, rotating refresh tokens.
 */
export class CreateAccounts1763700000000 implements MigrationInterface {
  name = 'CreateAccounts1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        username_key text NOT NULL,
        email text NOT NULL,
        email_key text NOT NULL,
        real_name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_username_key_lower_ck CHECK (username_key = lower(username)),
        CONSTRAINT users_email_key_lower_ck CHECK (email_key = lower(email))
      )
    `);
    await queryRunner.query(`CREATE UNIQUE INDEX users_username_key_uq ON users (username_key)`);
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key_uq ON users (email_key)`);
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash text NOT NULL,
        family_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        replaced_by uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX refresh_tokens_token_hash_uq ON refresh_tokens (token_hash)`,
    );
    await queryRunner.query(
      `CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id)`,
    );
    await queryRunner.query(`CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    await queryRunner.query(`DROP TABLE users`);
  }
}
