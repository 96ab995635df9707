import { randomUUID } from 'node:crypto';
import { insertUser, unique } from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { ContactsRepository } from './contacts.repository';

describe('ContactsRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let contacts: ContactsRepository;

  beforeAll(() => {
    contacts = new ContactsRepository(db.dataSource);
  });

  const user = (username?: string) => insertUser(db.dataSource, { username });

  async function rowCount(ownerId: string): Promise<number> {
    const rows = await db.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM contacts WHERE owner_id = $1`,
      [ownerId],
    );
    return rows[0].n;
  }

  it('lists nobody for a new owner', async () => {
    expect(await contacts.list((await user()).id)).toEqual([]);
  });

  it('adds a contact once: true the first time, false (and no second row) after', async () => {
    const [owner, friend] = [await user(), await user()];
    expect(await contacts.add(owner.id, friend.id)).toBe(true);
    expect(await contacts.add(owner.id, friend.id)).toBe(false);
    expect(await rowCount(owner.id)).toBe(1);
  });

  it('lists contacts with their public fields, alphabetically by username in any case', async () => {
    const stem = `c${unique()}`;
    const owner = await user();
    const zed = await user(`${stem}_Zed`);
    const alice = await user(`${stem}_alice`);
    const bob = await user(`${stem}_Bob`);
    for (const contact of [zed, alice, bob]) await contacts.add(owner.id, contact.id);

    const listed = await contacts.list(owner.id);
    expect(listed.map((c) => c.username)).toEqual([alice.username, bob.username, zed.username]);
    const stored = await db.dataSource.query<{ created_at: Date }[]>(
      `SELECT created_at FROM contacts WHERE owner_id = $1 AND contact_id = $2`,
      [owner.id, alice.id],
    );
    expect(listed[0]).toEqual({
      id: alice.id,
      username: alice.username,
      realName: alice.realName,
      addedAt: stored[0].created_at.toISOString(),
    });
  });

  it('is one-directional and per owner', async () => {
    const [owner, friend, other] = [await user(), await user(), await user()];
    await contacts.add(owner.id, friend.id);
    await contacts.add(other.id, owner.id);
    expect((await contacts.list(owner.id)).map((c) => c.id)).toEqual([friend.id]);
    expect(await contacts.list(friend.id)).toEqual([]);
    expect((await contacts.list(other.id)).map((c) => c.id)).toEqual([owner.id]);
  });

  it('removes one contact and leaves the others; removing an absent one is a no-op', async () => {
    const [owner, a, b] = [await user(), await user(), await user()];
    await contacts.add(owner.id, a.id);
    await contacts.add(owner.id, b.id);
    await contacts.remove(owner.id, a.id);
    await contacts.remove(owner.id, a.id);
    await contacts.remove(owner.id, randomUUID());
    expect((await contacts.list(owner.id)).map((c) => c.id)).toEqual([b.id]);
    expect(await contacts.add(owner.id, a.id)).toBe(true);
  });

  it('drops a contact whose account is deleted (ON DELETE CASCADE)', async () => {
    const [owner, gone] = [await user(), await user()];
    await contacts.add(owner.id, gone.id);
    await db.dataSource.query(`DELETE FROM users WHERE id = $1`, [gone.id]);
    expect(await contacts.list(owner.id)).toEqual([]);
  });

  it('refuses oneself and unknown users (the schema checks, not only the service)', async () => {
    const owner = await user();
    await expect(contacts.add(owner.id, owner.id)).rejects.toThrow(/contacts_not_self_ck/);
    await expect(contacts.add(owner.id, randomUUID())).rejects.toThrow(/foreign key/);
    expect(await rowCount(owner.id)).toBe(0);
  });
});
