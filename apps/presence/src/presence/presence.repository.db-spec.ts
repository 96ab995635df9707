import { randomUUID } from 'node:crypto';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { PresenceRepository } from './presence.repository';

describe('PresenceRepository (PostgreSQL)', () => {
  const db = useRepoTestDb();
  let presence: PresenceRepository;

  beforeAll(() => {
    presence = new PresenceRepository(db.dataSource);
  });

  const at = (iso: string) => new Date(iso);

  it('finds nothing for a user never seen', async () => {
    expect(await presence.findLastSeen(randomUUID())).toBeNull();
  });

  it('records a first sighting, to the millisecond', async () => {
    const userId = randomUUID();
    await presence.upsertLastSeen([{ userId, lastSeenAt: at('2031-05-06T07:08:09.123Z') }]);
    expect(await presence.findLastSeen(userId)).toEqual({
      userId,
      lastSeenAt: at('2031-05-06T07:08:09.123Z'),
    });
  });

  it('moves a last-seen time forward, never backwards (replays and late events are harmless)', async () => {
    const userId = randomUUID();
    await presence.upsertLastSeen([{ userId, lastSeenAt: at('2031-01-01T00:00:10.000Z') }]);
    await presence.upsertLastSeen([{ userId, lastSeenAt: at('2031-01-01T00:00:20.000Z') }]);
    expect((await presence.findLastSeen(userId))?.lastSeenAt).toEqual(
      at('2031-01-01T00:00:20.000Z'),
    );

    await presence.upsertLastSeen([{ userId, lastSeenAt: at('2031-01-01T00:00:15.000Z') }]);
    expect((await presence.findLastSeen(userId))?.lastSeenAt).toEqual(
      at('2031-01-01T00:00:20.000Z'),
    );
    await presence.upsertLastSeen([{ userId, lastSeenAt: at('2031-01-01T00:00:20.000Z') }]);
    expect((await presence.findLastSeen(userId))?.lastSeenAt).toEqual(
      at('2031-01-01T00:00:20.000Z'),
    );
  });

  it('writes many users in one call, each by its own rule', async () => {
    const [known, fresh] = [randomUUID(), randomUUID()];
    await presence.upsertLastSeen([{ userId: known, lastSeenAt: at('2031-02-01T00:00:00.000Z') }]);
    await presence.upsertLastSeen([
      { userId: known, lastSeenAt: at('2031-01-01T00:00:00.000Z') },
      { userId: fresh, lastSeenAt: at('2031-03-01T00:00:00.000Z') },
    ]);
    expect((await presence.findLastSeen(known))?.lastSeenAt).toEqual(
      at('2031-02-01T00:00:00.000Z'),
    );
    expect((await presence.findLastSeen(fresh))?.lastSeenAt).toEqual(
      at('2031-03-01T00:00:00.000Z'),
    );
  });

  it('does nothing for an empty batch', async () => {
    await expect(presence.upsertLastSeen([])).resolves.toBeUndefined();
  });

  it('is all or nothing: a batch naming one user twice fails whole (callers merge per user)', async () => {
    const [first, twice] = [randomUUID(), randomUUID()];
    await expect(
      presence.upsertLastSeen([
        { userId: first, lastSeenAt: at('2031-04-01T00:00:00.000Z') },
        { userId: twice, lastSeenAt: at('2031-04-01T00:00:00.000Z') },
        { userId: twice, lastSeenAt: at('2031-04-02T00:00:00.000Z') },
      ]),
    ).rejects.toThrow(/cannot affect row a second time/);
    expect(await presence.findLastSeen(first)).toBeNull();
    expect(await presence.findLastSeen(twice)).toBeNull();
  });
});
