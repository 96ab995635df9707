import { Injectable } from '@nestjs/common';
import { preparedStatement, runPrepared, unnestParams } from '@parley/common';
import { DataSource } from 'typeorm';

export interface LastSeen {
  userId: string;
  lastSeenAt: Date;
}

/** user_presence in PostgreSQL. */
@Injectable()
export class PresenceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records many users' last-seen times in ONE statement (atomic: all or nothing). A time never
   * moves backwards, so replays and out-of-order deliveries are harmless. Each user at most once.
   * A named statement on a kept plan: it runs every few seconds for as long as users are active.
   */
  async upsertLastSeen(entries: readonly LastSeen[]): Promise<void> {
    if (entries.length === 0) return;
    await runPrepared(this.dataSource, UPSERT_LAST_SEEN, [
      entries.map((e) => e.userId),
      entries.map((e) => e.lastSeenAt.toISOString()),
    ]);
  }

  async findLastSeen(userId: string): Promise<LastSeen | null> {
    const rows: { user_id: string; last_seen_at: Date }[] = await this.dataSource.query(
      `SELECT user_id, last_seen_at FROM user_presence WHERE user_id = $1`,
      [userId],
    );
    const row = rows[0];
    return row ? { userId: row.user_id, lastSeenAt: new Date(row.last_seen_at) } : null;
  }
}

const UPSERT_LAST_SEEN = preparedStatement(
  'presence.presence.upsertLastSeen',
  `INSERT INTO user_presence (user_id, last_seen_at, updated_at)
   SELECT u.user_id, u.last_seen_at, now()
     FROM ${unnestParams('$1::uuid[]', '$2::timestamptz[]')} AS u(user_id, last_seen_at)
   ON CONFLICT (user_id) DO UPDATE
     SET last_seen_at = GREATEST(user_presence.last_seen_at, EXCLUDED.last_seen_at),
         updated_at = now()`,
);
