import { Injectable } from '@nestjs/common';
import { ANNOUNCEMENTS_CHANNEL_ID } from '@parley/protocol';
import { DataSource } from 'typeorm';

/** A new account, as the gateway announced it. */
export interface RegisteredUser {
  userId: string;
  username: string;
}

/**
 * The announcements channel's membership in PostgreSQL: every registered user is a member (added
 * once, idempotently: a replayed registration changes nothing), and its admins are exactly the
 * operators the configuration names.
 */
@Injectable()
export class AnnouncementsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Adds the users as members with nothing unread (they read the whole history); those the
   * configuration names as operators are its admins. Returns the users it added.
   */
  async addMembers(users: readonly RegisteredUser[], admins: readonly string[]): Promise<string[]> {
    if (users.length === 0) return [];
    const rows = await this.dataSource.query<{ user_id: string }[]>(
      `INSERT INTO conversation_members
         (conversation_id, user_id, username, role, delivered_seq, read_seq)
       SELECT c.id, u.user_id, u.username,
              CASE WHEN lower(u.username) = ANY($4::text[]) THEN 'admin' ELSE 'member' END,
              c.last_seq, c.last_seq
         FROM conversations c, unnest($2::uuid[], $3::text[]) AS u(user_id, username)
        WHERE c.id = $1
       ON CONFLICT DO NOTHING
       RETURNING user_id::text AS user_id`,
      [ANNOUNCEMENTS_CHANNEL_ID, users.map((u) => u.userId), users.map((u) => u.username), admins],
    );
    return rows.map((r) => r.user_id);
  }

  /**
   * Makes the named operators (lower-case usernames) the channel's admins and everyone else a
   * member. Returns the users whose role changed.
   */
  async setAdmins(admins: readonly string[]): Promise<string[]> {
    const rows = await this.dataSource.query<{ user_id: string }[]>(
      `WITH changed AS (
         UPDATE conversation_members
            SET role = CASE WHEN lower(username) = ANY($2::text[]) THEN 'admin' ELSE 'member' END
          WHERE conversation_id = $1 AND left_seq IS NULL
            AND role <> CASE WHEN lower(username) = ANY($2::text[]) THEN 'admin' ELSE 'member' END
         RETURNING user_id::text AS user_id)
       SELECT user_id FROM changed`,
      [ANNOUNCEMENTS_CHANNEL_ID, admins],
    );
    return rows.map((r) => r.user_id);
  }
}
