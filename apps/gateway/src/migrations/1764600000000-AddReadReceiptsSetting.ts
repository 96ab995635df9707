import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The read receipts setting: on for everyone until they turn it off. Read where read state is
 * shown: the gateway's conversation list and "who read it", and storage's receipt fan-out.
 */
export class AddReadReceiptsSetting1764600000000 implements MigrationInterface {
  name = 'AddReadReceiptsSetting1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE users ADD COLUMN read_receipts boolean NOT NULL DEFAULT true`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN read_receipts`);
  }
}
