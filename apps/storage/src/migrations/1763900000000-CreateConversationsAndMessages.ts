import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messaging schema (owned by storage): conversations with their per-conversation sequence counter,
 * members with their read position, per-device delivery cursors, and messages keyed by
 * (conversation, seq). No foreign key to users: accounts belong to the gateway's schema.
 *
 * - `conversations.last_seq` is the last allocated seq; storage allocates `last_seq + n` in the
 *   same transaction as the inserts, so seqs are gap-free per conversation.
 * - `conversations.pair_key` identifies a direct (1:1) conversation: both member ids sorted and
 *   joined with ':'; unique, so a find-or-create race yields one conversation.
 * - `messages (sender_id, client_msg_id)` is unique: a resent message is a duplicate that keeps
 *   its original seq and server time.
 */
export class CreateConversationsAndMessages1763900000000 implements MigrationInterface {
  name = 'CreateConversationsAndMessages1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE conversations (
        id text PRIMARY KEY,
        kind text NOT NULL,
        pair_key text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seq bigint NOT NULL DEFAULT 0,
        last_message_at timestamptz,
        CONSTRAINT conversations_kind_ck CHECK (kind IN ('direct', 'group')),
        CONSTRAINT conversations_pair_key_ck CHECK ((kind = 'direct') = (pair_key IS NOT NULL)),
        CONSTRAINT conversations_last_seq_ck CHECK (last_seq >= 0)
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX conversations_pair_key_uq ON conversations (pair_key)`,
    );
    await queryRunner.query(`
      CREATE TABLE conversation_members (
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        joined_at timestamptz NOT NULL DEFAULT now(),
        read_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (conversation_id, user_id)
      )
    `);
    await queryRunner.query(
      `CREATE INDEX conversation_members_user_id_idx ON conversation_members (user_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE device_cursors (
        user_id uuid NOT NULL,
        device_id text NOT NULL,
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        delivered_seq bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, device_id, conversation_id)
      )
    `);
    await queryRunner.query(`
      CREATE TABLE messages (
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        sender_id uuid NOT NULL,
        client_msg_id text NOT NULL,
        server_time timestamptz NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (conversation_id, seq),
        CONSTRAINT messages_seq_ck CHECK (seq > 0)
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX messages_sender_client_msg_id_uq ON messages (sender_id, client_msg_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE device_cursors`);
    await queryRunner.query(`DROP TABLE conversation_members`);
    await queryRunner.query(`DROP TABLE conversations`);
  }
}
