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

  it('starts with read receipts on, changes the named setting, and keeps what is not named', async () => {
    const user = await insertUser(db.dataSource);
    expect(await settings.find(user.id)).toEqual({ readReceipts: true });
    expect(await settings.change(user.id, { readReceipts: false })).toEqual({
      readReceipts: false,
    });
    expect(await settings.change(user.id, {})).toEqual({ readReceipts: false });
    expect(await settings.find(user.id)).toEqual({ readReceipts: false });
  });

  it('finds and changes nothing for an account that does not exist', async () => {
    const nobody = randomUUID();
    expect(await settings.find(nobody)).toBeNull();
    expect(await settings.change(nobody, { readReceipts: false })).toBeNull();
  });
});
