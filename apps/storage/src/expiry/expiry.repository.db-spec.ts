import { randomUUID } from 'node:crypto';
import { UNSENT_IMAGE_TTL_MS } from '@parley/common';
import { insertConversation, insertMessages, unique } from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { ExpiryRepository } from './expiry.repository';

/** How long the services' connections let a transaction sit idle (the stall timeout), cut short. */
const IDLE_IN_TRANSACTION_MS = 1_000;

/** The blob store taking longer than that to delete a batch's blobs (a distant S3). */
const slowBlobStore = () => new Promise<void>((resolve) => setTimeout(resolve, 2_500));

describe("ExpiryRepository (PostgreSQL, with the services' idle-in-transaction timeout)", () => {
  const db = useRepoTestDb([], {
    options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
  });
  let repo: ExpiryRepository;

  beforeAll(() => {
    repo = new ExpiryRepository(db.dataSource);
  });

  /** An image row with blob keys of its own, created `ageMs` ago. */
  async function insertImage(ageMs = 0): Promise<{ id: string; keys: string[] }> {
    const id = randomUUID();
    const keys = [`display-${unique()}`, `thumb-${unique()}`];
    await db.dataSource.query(
      `INSERT INTO images (id, uploader_id, source_format, width, height, display_key,
                           display_bytes, thumb_key, thumb_bytes, placeholder, stored_bytes,
                           created_at)
       VALUES ($1, $2, 'png', 1, 1, $3, 1, $4, 1, '', 2, now() - make_interval(secs => $5))`,
      [id, randomUUID(), keys[0], keys[1], ageMs / 1000],
    );
    return { id, keys };
  }

  it('expires a message whose blobs take the blob store longer than the idle timeout to delete', async () => {
    const sender = randomUUID();
    const conversationId = await insertConversation(db.dataSource, {
      members: [sender, randomUUID()],
    });
    const [message] = await insertMessages(db.dataSource, conversationId, [{ senderId: sender }]);
    const image = await insertImage();
    await db.dataSource.query(
      `UPDATE messages SET image_id = $3, expires_at = now() - interval '1 second'
        WHERE conversation_id = $1 AND seq = $2`,
      [conversationId, message.seq, image.id],
    );

    let deleting: string[] = [];
    const batch = await repo.expire(500, async ({ blobKeys }) => {
      deleting = blobKeys;
      await slowBlobStore();
    });

    expect(batch.messages).toContainEqual({ conversationId, seq: message.seq });
    expect(batch.imageIds).toContain(image.id);
    expect(deleting).toEqual(expect.arrayContaining(image.keys));
    const [row] = await db.dataSource.query<{ expired: boolean; body: string }[]>(
      `SELECT expired, body FROM messages WHERE conversation_id = $1 AND seq = $2`,
      [conversationId, message.seq],
    );
    expect(row).toEqual({ expired: true, body: '' });
    expect(await db.dataSource.query(`SELECT 1 FROM images WHERE id = $1`, [image.id])).toEqual([]);
  });

  it('drops an unsent upload whose blobs take the blob store longer than the idle timeout to delete', async () => {
    const image = await insertImage(UNSENT_IMAGE_TTL_MS + 60_000);

    let deleting: string[] = [];
    const batch = await repo.dropUnsentImages(500, UNSENT_IMAGE_TTL_MS, async ({ blobKeys }) => {
      deleting = blobKeys;
      await slowBlobStore();
    });

    expect(batch.imageIds).toContain(image.id);
    expect(deleting).toEqual(expect.arrayContaining(image.keys));
    expect(await db.dataSource.query(`SELECT 1 FROM images WHERE id = $1`, [image.id])).toEqual([]);
  });

  it('still ends a transaction left idle with no blob work to wait for', async () => {
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_IN_TRANSACTION_MS));
      await expect(runner.query('SELECT 2')).rejects.toThrow();
    } finally {
      await runner.release();
    }
  });
});
