import { insertUser, type TestUser } from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { PresenceRulesRepository } from './presence-rules.repository';

describe('PresenceRulesRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let rules: PresenceRulesRepository;

  beforeAll(() => {
    rules = new PresenceRulesRepository(db.dataSource);
  });

  async function user(choice: 'everyone' | 'contacts' | 'nobody'): Promise<TestUser> {
    const created = await insertUser(db.dataSource);
    await db.dataSource.query(`UPDATE users SET presence_visibility = $2 WHERE id = $1`, [
      created.id,
      choice,
    ]);
    return created;
  }

  async function contact(owner: TestUser, of: TestUser): Promise<void> {
    await db.dataSource.query(`INSERT INTO contacts (owner_id, contact_id) VALUES ($1, $2)`, [
      owner.id,
      of.id,
    ]);
  }

  it('answers many viewers in one read as one read per viewer would, both choices and contacts applied', async () => {
    const open = await user('everyone');
    const friendly = await user('contacts');
    const hidden = await user('nobody');
    const pal = await user('contacts');
    const stranger = await user('everyone');
    await contact(friendly, pal);
    await contact(pal, friendly);
    await contact(pal, open);
    const everyone = [open, friendly, hidden, pal, stranger];
    const unknown = '00000000-0000-4000-8000-000000000000';
    const targets = [...everyone.map((u) => u.id), unknown];

    const together = await rules.visibleAmong(new Map(everyone.map((v) => [v.id, targets])));
    const names = new Map(
      everyone.map((u, i) => [u.id, ['open', 'friendly', 'hidden', 'pal', 'stranger'][i]]),
    );
    const seen = (set: ReadonlySet<string> | undefined) =>
      [...(set ?? [])].map((id) => names.get(id)).sort();

    // Each sees itself; `contacts` is mutual contacts' business; `nobody` sees and is seen by nobody.
    expect(seen(together.get(open.id))).toEqual(['open', 'pal', 'stranger']);
    expect(seen(together.get(friendly.id))).toEqual(['friendly', 'pal']);
    expect(seen(together.get(hidden.id))).toEqual(['hidden']);
    expect(seen(together.get(pal.id))).toEqual(['friendly', 'open', 'pal']);
    expect(seen(together.get(stranger.id))).toEqual(['open', 'stranger']);
    for (const viewer of everyone) {
      expect(seen(await rules.visibleTo(viewer.id, targets))).toEqual(
        seen(together.get(viewer.id)),
      );
    }
  });

  it('answers nothing for nothing asked, and nothing for an unknown viewer', async () => {
    expect(await rules.visibleAmong(new Map())).toEqual(new Map());
    const someone = await user('everyone');
    const unknown = '00000000-0000-4000-8000-000000000001';
    expect(await rules.visibleTo(unknown, [someone.id])).toEqual(new Set());
  });
});
