import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * How long a sweep's transaction may sit idle while the blob store deletes what it frees (between
 * its statements, by design: the blobs go before the rows commit). The services' connections end
 * a transaction idle for DATABASE_STALL_TIMEOUT_MS (30 s), which a batch's deletes can take on a
 * distant S3 (up to 1,000 keys); ended there, the batch would be retried, and fail, for good.
 */
export const SWEEP_IDLE_IN_TRANSACTION_MS = 600_000;

/** Lets this transaction wait on the blob store for SWEEP_IDLE_IN_TRANSACTION_MS, not longer. */
async function allowBlobWork(tx: EntityManager): Promise<void> {
  await tx.query(
    `SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, // true: this transaction
    [String(SWEEP_IDLE_IN_TRANSACTION_MS)],
  );
}

/** What one round of the unsent-image sweep did. */
export interface UnsentImagesBatch {
  /** Images past the TTL that were looked at (deleted or found carried). */
  examined: number;
  /** Unsent images whose rows are deleted. */
  imageIds: string[];
  /** Blob keys no image uses any more: to delete from the blob store. */
  blobKeys: string[];
}

/** What one expiry round did. */
export interface ExpiredBatch {
  /** Messages whose content is gone now (tombstones). */
  messages: { conversationId: string; seq: number }[];
  /** Images no message carries any more: their rows are deleted. */
  imageIds: string[];
  /** Blob keys no image uses any more: to delete from the blob store. */
  blobKeys: string[];
}

/**
 * The delete step of disappearing messages in PostgreSQL: messages past their expiry lose their
 * text and image (the row stays as a tombstone at its seq), and the images no message carries any
 * more lose their rows. One transaction per round, rows locked with SKIP LOCKED so two storage
 * processes never take the same ones.
 */
@Injectable()
export class ExpiryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes up to `limit` due messages and calls `beforeCommit` with what they free (so the blobs
   * go before the rows that point at them: a crash leaves rows to retry, never a blob no row
   * names); commits once it resolved.
   */
  async expire(
    limit: number,
    beforeCommit: (batch: ExpiredBatch) => Promise<void>,
  ): Promise<ExpiredBatch> {
    return this.dataSource.transaction(async (tx) => {
      const due = await tx.query<
        { conversation_id: string; seq: string; image_id: string | null }[]
      >(
        `SELECT conversation_id, seq, image_id FROM messages
          WHERE expires_at <= now() AND NOT expired
          ORDER BY expires_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      const batch: ExpiredBatch = {
        messages: due.map((d) => ({ conversationId: d.conversation_id, seq: Number(d.seq) })),
        imageIds: [],
        blobKeys: [],
      };
      if (due.length === 0) return batch;
      await tx.query(
        `UPDATE messages m SET body = '', image = NULL, image_id = NULL, expired = true
           FROM unnest($1::text[], $2::bigint[]) AS d(conversation_id, seq)
          WHERE m.conversation_id = d.conversation_id AND m.seq = d.seq`,
        [batch.messages.map((m) => m.conversationId), batch.messages.map((m) => m.seq)],
      );
      const imageIds = [...new Set(due.flatMap((d) => (d.image_id ? [d.image_id] : [])))];
      if (imageIds.length > 0) await this.dropUnusedImages(tx, imageIds, batch);
      if (batch.blobKeys.length > 0) await allowBlobWork(tx);
      await beforeCommit(batch);
      return batch;
    });
  }

  /**
   * The unsent-image sweep: takes up to `limit` images older than `olderThanMs` the sweep has not
   * looked at; deletes those no message carries (calling `beforeCommit` with what they free, as
   * `expire` does) and marks the others sent, so they are never looked at again.
   */
  async dropUnsentImages(
    limit: number,
    olderThanMs: number,
    beforeCommit: (batch: UnsentImagesBatch) => Promise<void>,
  ): Promise<UnsentImagesBatch> {
    return this.dataSource.transaction(async (tx) => {
      const rows = await tx.query<
        { outcome: 'sent' | 'dropped'; id: string; display_key: string; thumb_key: string }[]
      >(
        // One snapshot: an image is either carried (marked) or not (deleted), never both.
        `WITH due AS (
           SELECT id FROM images
            WHERE NOT sent AND created_at < now() - make_interval(secs => $2)
            ORDER BY created_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
         ), carried AS (
           UPDATE images i SET sent = true
             FROM due
            WHERE i.id = due.id AND EXISTS (SELECT 1 FROM messages m WHERE m.image_id = i.id)
           RETURNING i.id, i.display_key, i.thumb_key
         ), dropped AS (
           DELETE FROM images i
            USING due
            WHERE i.id = due.id AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.image_id = i.id)
           RETURNING i.id, i.display_key, i.thumb_key
         )
         SELECT 'sent' AS outcome, * FROM carried
         UNION ALL
         SELECT 'dropped' AS outcome, * FROM dropped`,
        [limit, olderThanMs / 1000],
      );
      const dropped = rows.filter((r) => r.outcome === 'dropped');
      const batch: UnsentImagesBatch = {
        examined: rows.length,
        imageIds: dropped.map((d) => d.id),
        blobKeys: await this.unusedBlobKeys(tx, dropped),
      };
      if (batch.blobKeys.length > 0) await allowBlobWork(tx);
      if (batch.imageIds.length > 0) await beforeCommit(batch);
      return batch;
    });
  }

  /** Deletes the images of `imageIds` no message carries now, and finds their unshared blobs. */
  private async dropUnusedImages(
    tx: EntityManager,
    imageIds: string[],
    batch: ExpiredBatch,
  ): Promise<void> {
    const dropped = await tx.query<{ id: string; display_key: string; thumb_key: string }[]>(
      // A CTE, so the driver answers rows (a DELETE alone comes back as [rows, count]).
      `WITH dropped AS (
         DELETE FROM images i
          WHERE i.id = ANY($1::uuid[])
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.image_id = i.id)
          RETURNING i.id, i.display_key, i.thumb_key)
       SELECT * FROM dropped`,
      [imageIds],
    );
    batch.imageIds = dropped.map((d) => d.id);
    batch.blobKeys = await this.unusedBlobKeys(tx, dropped);
  }

  /** The blob keys of deleted images that no remaining image uses (content is shared by hash). */
  private async unusedBlobKeys(
    tx: EntityManager,
    dropped: readonly { display_key: string; thumb_key: string }[],
  ): Promise<string[]> {
    const keys = [...new Set(dropped.flatMap((d) => [d.display_key, d.thumb_key]))];
    if (keys.length === 0) return [];
    const unused = await tx.query<{ key: string }[]>(
      `SELECT k.key FROM unnest($1::text[]) AS k(key)
        WHERE NOT EXISTS (SELECT 1 FROM images WHERE display_key = k.key)
          AND NOT EXISTS (SELECT 1 FROM images WHERE thumb_key = k.key)`,
      [keys],
    );
    return unused.map((u) => u.key);
  }
}
