import { ANNOUNCEMENTS_CHANNEL_ID } from '@parley/protocol';
import { Client } from 'pg';

/**
 * Empties the announcements channel (its posts and everyone's cursors in it), so the suites that
 * run after the one posting there, and count a user's conversations, do not find it: a channel
 * nothing was posted to is not listed or synced.
 */
export async function emptyAnnouncements(databaseUrl: string): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(`DELETE FROM messages WHERE conversation_id = $1`, [ANNOUNCEMENTS_CHANNEL_ID]);
    await db.query(`DELETE FROM device_cursors WHERE conversation_id = $1`, [
      ANNOUNCEMENTS_CHANNEL_ID,
    ]);
    await db.query(`UPDATE conversations SET last_seq = 0 WHERE id = $1`, [
      ANNOUNCEMENTS_CHANNEL_ID,
    ]);
    await db.query(
      `UPDATE conversation_members SET delivered_seq = 0, read_seq = 0 WHERE conversation_id = $1`,
      [ANNOUNCEMENTS_CHANNEL_ID],
    );
    await db.query('COMMIT');
  } finally {
    await db.end();
  }
}
