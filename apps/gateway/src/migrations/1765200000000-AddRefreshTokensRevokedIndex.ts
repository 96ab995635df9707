import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The refresh tokens revoked lately, by when: after Redis lost its data, the gateway reads the
 * sessions that ended within an access token's lifetime from here (EndedSessionsRestorer). Partial:
 * live tokens are most rows and never looked up by this.
 */
export class AddRefreshTokensRevokedIndex1765200000000 implements MigrationInterface {
  name = 'AddRefreshTokensRevokedIndex1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX refresh_tokens_revoked_at_idx ON refresh_tokens (revoked_at)
         WHERE revoked_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX refresh_tokens_revoked_at_idx`);
  }
}
