import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * The one write the gateway makes to storage's tables (docs/ARCHITECTURE.md says why): the 1:1
 * conversation row and its two members, on first contact. A send to a user needs the
 * conversation's id before it is accepted (it is the Kafka key and what the client is told), and
 * the pair must map to one conversation even when both people write first at the same moment on
 * two gateways: the unique `pair_key` decides that in one round trip, which a request/reply over
 * Kafka could only imitate.
 */
@Injectable()
export class DirectConversationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findByPairKey(pairKey: string): Promise<string | null> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM conversations WHERE pair_key = $1`,
      [pairKey],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * Creates the direct conversation and both members in one transaction, unless the pair already
   * has one: `ON CONFLICT (pair_key) DO NOTHING` waits for a concurrent creator's commit, so two
   * first contacts at once (even on two gateways) end in one conversation. Returns its id.
   */
  async create(id: string, pairKey: string, memberIds: readonly string[]): Promise<string> {
    return this.dataSource.transaction(async (tx) => {
      const inserted = await tx.query<{ id: string }[]>(
        `INSERT INTO conversations (id, kind, pair_key) VALUES ($1, 'direct', $2)
         ON CONFLICT (pair_key) DO NOTHING RETURNING id`,
        [id, pairKey],
      );
      if (inserted.length === 0) {
        const existing = await tx.query<{ id: string }[]>(
          `SELECT id FROM conversations WHERE pair_key = $1`,
          [pairKey],
        );
        if (!existing[0]) throw new Error('direct conversation vanished during find-or-create');
        return existing[0].id;
      }
      await tx.query(
        `INSERT INTO conversation_members (conversation_id, user_id)
         SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
        [id, memberIds],
      );
      return id;
    });
  }
}
