import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every socket's admission reads its user's channels (the gateway's `channelsOf`). Joined from the
 * memberships, that was one `conversations` look-up per conversation the user is in: a hundred for
 * a user with a hundred chats, about half a millisecond of PostgreSQL per connect. Channels are
 * few beside chats; with this index the planner starts from them and probes the membership key
 * instead (and, should channels ever outnumber a user's memberships, it keeps the old plan).
 */
export class AddChannelsIndex1765100000000 implements MigrationInterface {
  name = 'AddChannelsIndex1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX conversations_channels_idx ON conversations (id) WHERE kind = 'channel'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX conversations_channels_idx`);
  }
}
