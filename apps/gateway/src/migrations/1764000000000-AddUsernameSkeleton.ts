import { MigrationInterface, QueryRunner } from 'typeorm';
import { usernameSkeletonSql } from '../accounts/username-skeleton';

/**
 * Look-alike usernames: each account gets `username_skeleton` (see usernameSkeleton), filled for
 * existing rows by the same function in SQL. Not unique: accounts registered before this may
 * already share a skeleton; new registrations are checked under an advisory lock on it.
 */
export class AddUsernameSkeleton1764000000000 implements MigrationInterface {
  name = 'AddUsernameSkeleton1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN username_skeleton text`);
    await queryRunner.query(
      `UPDATE users SET username_skeleton = ${usernameSkeletonSql('username')}`,
    );
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN username_skeleton SET NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX users_username_skeleton_idx ON users (username_skeleton)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX users_username_skeleton_idx`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN username_skeleton`);
  }
}
