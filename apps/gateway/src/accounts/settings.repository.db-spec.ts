import { randomUUID } from 'node:crypto';
import { insertUser } from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { SettingsRepository } from './settings.repository';

describe('SettingsRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let settings: SettingsRepository;

  beforeAll(() => {
    settings = new SettingsRepository(db.dataSource);
  });

  it('starts with read receipts on and presence shown to everyone, changes the named setting, and keeps what is not named', async () => {
    const user = await insertUser(db.dataSource);
    expect(await settings.find(user.id)).toEqual({ readReceipts: true, presence: 'everyone' });
    expect(await settings.change(user.id, { readReceipts: false })).toEqual({
      readReceipts: false,
      presence: 'everyone',
    });
    expect(await settings.change(user.id, { presence: 'contacts' })).toEqual({
      readReceipts: false,
      presence: 'contacts',
    });
    expect(await settings.change(user.id, {})).toEqual({
      readReceipts: false,
      presence: 'contacts',
    });
    expect(await settings.find(user.id)).toEqual({ readReceipts: false, presence: 'contacts' });
  });

  it('refuses a presence choice the schema does not allow (the column checks it too)', async () => {
    const user = await insertUser(db.dataSource);
    await expect(
      db.dataSource.query(`UPDATE users SET presence_visibility = 'friends' WHERE id = $1`, [
        user.id,
      ]),
    ).rejects.toThrow(/users_presence_visibility_check/);
  });

  it('finds and changes nothing for an account that does not exist', async () => {
    const nobody = randomUUID();
    expect(await settings.find(nobody)).toBeNull();
    expect(await settings.change(nobody, { readReceipts: false })).toBeNull();
  });
});
