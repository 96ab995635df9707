import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { preparedStatement, runPrepared, unnestParams } from '@parley/common';
import { CoalescedLoad } from '../read-model/coalesced-load';

/** A first contact: the id a new conversation would get, its pair key and its two members. */
export interface DirectContact {
  id: string;
  pairKey: string;
  memberIds: readonly string[];
}

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
  /**
   * First contacts at once share a statement: while one runs, the next ones gather (each pair
   * once) and go together, so a burst of first contacts is a few statements and commits, not one
   * each. An idle gateway runs each at once. One in flight, not two: at 1,500 first contacts a
   * second, a second statement beside the first made each take three to five times as long (more
   * backends committing at once on few cores) and slowed storage's commits with them
   * (docs/PERFORMANCE.md, forty-third sitting). First contacts that waited half a second start
   * beside it anyway (the spare slot), so a stalled connection does not hold them all until the
   * stall watch drops it.
   */
  private readonly contacts = new CoalescedLoad<DirectContact, string>(
    (gathered) => this.findOrCreateAll(gathered),
    (contact) => contact.pairKey,
    { maxInFlight: 1, maxKeys: 200, spareAfterMs: 500 },
  );

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The pair's direct conversation, created with both members when it has none (`id` is the id
   * it then gets; a concurrent first contact of the same pair may win with its own). Returns the
   * conversation's id.
   */
  async findOrCreate(id: string, pairKey: string, memberIds: readonly string[]): Promise<string> {
    const [found] = await this.contacts.load([{ id, pairKey, memberIds }]);
    if (found === undefined) throw new Error('direct conversation vanished during find-or-create');
    return found;
  }

  /**
   * Finds or creates every pair's conversation in one statement, so one round trip (it is its own
   * transaction). `ON CONFLICT (pair_key) DO NOTHING` waits for a concurrent creator's commit, so
   * two first contacts at once (even on two gateways) end in one conversation; the rows go in in
   * pair-key order (the statement's ORDER BY), so two statements waiting on each other's pairs
   * cannot deadlock. Members are written only for rows this statement inserted. The statement
   * reads existing rows with its own snapshot, which a creator committing while it waited is not
   * in: those pairs (rarely) take a second read. Keyed by pair key.
   */
  async findOrCreateAll(contacts: readonly DirectContact[]): Promise<Map<string, string>> {
    const rows = await runPrepared<{ pair_key: string; id: string }>(
      this.dataSource,
      FIND_OR_CREATE_DIRECT,
      [
        contacts.map((c) => c.id),
        contacts.map((c) => c.pairKey),
        contacts.map((c) => c.memberIds[0]),
        contacts.map((c) => c.memberIds[1]),
      ],
    );
    const found = new Map(rows.map((r) => [r.pair_key, r.id]));
    const missing = contacts.filter((c) => !found.has(c.pairKey)).map((c) => c.pairKey);
    if (missing.length > 0) {
      const committedMeanwhile = await runPrepared<{ pair_key: string; id: string }>(
        this.dataSource,
        FIND_DIRECT,
        [missing],
      );
      for (const r of committedMeanwhile) found.set(r.pair_key, r.id);
    }
    return found;
  }
}

const FIND_OR_CREATE_DIRECT = preparedStatement(
  'gateway_find_or_create_directs',
  `WITH asked AS (
     SELECT *
       FROM ${unnestParams('$1::text[]', '$2::text[]', '$3::uuid[]', '$4::uuid[]')}
            AS a(id, pair_key, a, b)
   ), inserted AS (
     INSERT INTO conversations (id, kind, pair_key)
     SELECT id, 'direct', pair_key FROM asked ORDER BY pair_key
     ON CONFLICT (pair_key) DO NOTHING RETURNING id, pair_key
   ), members AS (
     INSERT INTO conversation_members (conversation_id, user_id)
     SELECT i.id, unnest(ARRAY[a.a, a.b]) FROM inserted i JOIN asked a USING (pair_key)
     ON CONFLICT DO NOTHING
   )
   SELECT pair_key, id FROM inserted
   UNION ALL
   SELECT a.pair_key, existing.id
     FROM asked a
    CROSS JOIN LATERAL (SELECT min(c.id) AS id FROM conversations c WHERE c.pair_key = a.pair_key) existing
    WHERE existing.id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM inserted i WHERE i.pair_key = a.pair_key)`,
);

/**
 * The pairs' conversations (each pair key once). The keys are read through `unnestParams`: with
 * `pair_key = ANY($1)` a custom plan counted the keys and always looked cheaper than the generic
 * plan, so each call was planned again.
 */
export const FIND_DIRECT = preparedStatement(
  'gateway_find_directs',
  `SELECT c.pair_key, c.id
     FROM ${unnestParams('$1::text[]')} AS k(pair_key)
     JOIN conversations c ON c.pair_key = k.pair_key`,
);
