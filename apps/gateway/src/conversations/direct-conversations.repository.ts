import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { preparedStatement, runPrepared } from '@parley/common';

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
   * Finds the pair's direct conversation or creates it with both members: one statement, so one
   * round trip (it is its own transaction). `ON CONFLICT (pair_key) DO NOTHING` waits for a
   * concurrent creator's commit, so two first contacts at once (even on two gateways) end in one
   * conversation; the members are written only by the statement whose row went in. The statement
   * reads the pair's existing row with its own snapshot, which a creator committing while it
   * waited is not in: then (rarely) a second read finds that row. Returns the conversation's id.
   */
  async findOrCreate(id: string, pairKey: string, memberIds: readonly string[]): Promise<string> {
    const [row] = await runPrepared<{ id: string }>(this.dataSource, FIND_OR_CREATE_DIRECT, [
      id,
      pairKey,
      memberIds,
    ]);
    if (row) return row.id;
    const committedMeanwhile = await this.findByPairKey(pairKey);
    if (!committedMeanwhile) throw new Error('direct conversation vanished during find-or-create');
    return committedMeanwhile;
  }
}

const FIND_OR_CREATE_DIRECT = preparedStatement(
  'gateway_find_or_create_direct',
  `WITH inserted AS (
     INSERT INTO conversations (id, kind, pair_key) VALUES ($1, 'direct', $2)
     ON CONFLICT (pair_key) DO NOTHING RETURNING id
   ), members AS (
     INSERT INTO conversation_members (conversation_id, user_id)
     SELECT inserted.id, unnest($3::uuid[]) FROM inserted ON CONFLICT DO NOTHING
   )
   SELECT id FROM inserted
   UNION ALL
   SELECT id FROM conversations WHERE pair_key = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`,
);
