import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Uploaded images nobody sends are swept after a day (UNSENT_IMAGE_TTL_MS). `images.sent` is
 * false until the sweep first looks at an image past that age: it deletes the image if no message
 * carries it, else marks it sent and never looks at it again. The partial index keeps each round
 * to the images not yet looked at (the message path never writes `sent`).
 */
export class AddUnsentImageSweep1765000000000 implements MigrationInterface {
  name = 'AddUnsentImageSweep1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE images ADD COLUMN sent boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`CREATE INDEX images_unsent_idx ON images (created_at) WHERE NOT sent`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX images_unsent_idx`);
    await queryRunner.query(`ALTER TABLE images DROP COLUMN sent`);
  }
}
