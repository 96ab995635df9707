import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who sees a user's online state and last seen: everyone (the default), their contacts, or
 * nobody. Read by the gateway where presence is shown (watches, `GET /v1/presence`).
 */
export class AddPresenceSetting1764700000000 implements MigrationInterface {
  name = 'AddPresenceSetting1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE users ADD COLUMN presence_visibility text NOT NULL DEFAULT 'everyone'
         CONSTRAINT users_presence_visibility_check
         CHECK (presence_visibility IN ('everyone', 'contacts', 'nobody'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN presence_visibility`);
  }
}
