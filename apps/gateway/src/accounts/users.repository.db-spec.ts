import { QueryFailedError } from 'typeorm';
import { insertUser, unique } from '../../../../test/db/factories';
import { fulfilledValues, LockHolder, useRepoTestDb } from '../../../../test/db/repo-test-db';
import { emailKey, usernameKey } from './account-keys';
import { RefreshTokenEntity } from './refresh-token.entity';
import { UserEntity } from './user.entity';
import { usernameSkeleton, usernameSkeletonSql } from './username-skeleton';
import { CreateUserResult, NewUser, UsersRepository } from './users.repository';

describe('UsersRepository (PostgreSQL)', () => {
  const db = useRepoTestDb([UserEntity, RefreshTokenEntity]);
  let users: UsersRepository;

  beforeAll(() => {
    users = new UsersRepository(db.dataSource);
  });

  /** A registration as AccountsService builds it: keys and skeleton derived from the inputs. */
  function newUser(username = `u_${unique()}`, email = `${unique()}@Example.test`): NewUser {
    return {
      username,
      usernameKey: usernameKey(username),
      usernameSkeleton: usernameSkeleton(username),
      email,
      emailKey: emailKey(email),
      realName: `Real ${username}`,
      passwordHash: `$argon2id$${unique()}`,
    };
  }

  function created(result: CreateUserResult): UserEntity {
    if (!result.ok) throw new Error(`expected a created user, got a ${result.conflict} conflict`);
    return result.user;
  }

  async function countBySkeleton(skeleton: string): Promise<number> {
    const rows = await db.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM users WHERE username_skeleton = $1`,
      [skeleton],
    );
    return rows[0].n;
  }

  async function countByEmailKey(key: string): Promise<number> {
    const rows = await db.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM users WHERE email_key = $1`,
      [key],
    );
    return rows[0].n;
  }

  describe('create', () => {
    it('inserts the user and returns the stored row (generated id and times)', async () => {
      const input = newUser(`Mixed_${unique()}`);
      const user = created(await users.create(input));

      expect(user).toBeInstanceOf(UserEntity);
      expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(user).toMatchObject({
        username: input.username,
        usernameKey: input.username.toLowerCase(),
        usernameSkeleton: input.usernameSkeleton,
        email: input.email,
        emailKey: input.email.toLowerCase(),
        realName: input.realName,
        passwordHash: input.passwordHash,
      });
      expect(user.createdAt).toBeInstanceOf(Date);
      expect(user.updatedAt).toEqual(user.createdAt);

      const stored = await users.findById(user.id);
      expect(stored).toEqual(user);
    });

    it('refuses a username already taken, in any case, as a username conflict', async () => {
      const first = created(await users.create(newUser(`taken_${unique()}`)));
      const again = await users.create(newUser(first.username.toUpperCase()));
      expect(again).toEqual({ ok: false, conflict: 'username' });
      expect(await countBySkeleton(first.usernameSkeleton)).toBe(1);
    });

    it.each([
      ['alice', 'a1ice'],
      ['alice', 'aIice'],
      ['bob', 'b0b'],
      ['modern', 'rnodern'],
      ['wendy', 'vvendy'],
    ])('refuses a look-alike of an existing username (%s, then %s)', async (first, second) => {
      const suffix = unique();
      created(await users.create(newUser(`${first}_${suffix}`)));
      const lookalike = await users.create(newUser(`${second}_${suffix}`));
      expect(lookalike).toEqual({ ok: false, conflict: 'username' });
      expect(await users.findByUsernameKey(`${second}_${suffix}`.toLowerCase())).toBeNull();
    });

    it('takes usernames that only resemble each other loosely', async () => {
      const suffix = unique();
      created(await users.create(newUser(`alice_${suffix}`)));
      created(await users.create(newUser(`alicia_${suffix}`)));
      created(await users.create(newUser(`al_ice_${suffix}`)));
    });

    it('refuses an email already registered, in any case, as an email conflict', async () => {
      const email = `${unique()}@example.test`;
      created(await users.create(newUser(undefined, email)));
      const again = await users.create(newUser(undefined, email.toUpperCase()));
      expect(again).toEqual({ ok: false, conflict: 'email' });
      expect(await countByEmailKey(email)).toBe(1);
    });

    it('maps the username unique index to a username conflict (a row whose skeleton differs)', async () => {
      // A row with another skeleton (as if stored under an older skeleton function): the
      // look-alike check misses it and the unique index on username_key decides.
      const username = `legacy_${unique()}`;
      await db.dataSource.query(
        `INSERT INTO users (username, username_key, username_skeleton, email, email_key,
                            real_name, password_hash)
         VALUES ($1, lower($1), $2, $3, lower($3), 'Legacy', 'x')`,
        [username, `old-skeleton-${unique()}`, `${unique()}@example.test`],
      );
      expect(await users.create(newUser(username))).toEqual({ ok: false, conflict: 'username' });
    });

    it('rethrows other database errors and stores nothing', async () => {
      const input = { ...newUser(), usernameKey: `NOT_LOWER_${unique()}` };
      const error: unknown = await users.create(input).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect(error).toMatchObject({ driverError: { constraint: 'users_username_key_lower_ck' } });
      expect(await countBySkeleton(input.usernameSkeleton)).toBe(0);
    });

    it('lets only one of two look-alikes registered at the same moment win (advisory lock)', async () => {
      const suffix = unique();
      const [modern, rnodern] = [newUser(`modern_${suffix}`), newUser(`rnodern_${suffix}`)];
      expect(rnodern.usernameSkeleton).toBe(modern.usernameSkeleton);

      // Hold the skeleton's lock so both registrations queue behind it, then let them go at once.
      const holder = await LockHolder.begin(db.dataSource);
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `username-skeleton:${modern.usernameSkeleton}`,
      ]);
      const racing = Promise.allSettled([users.create(modern), users.create(rnodern)]);
      await holder.waitForWaiters(2, racing);
      await holder.commit();

      const outcomes = fulfilledValues(await racing);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes).toContainEqual({ ok: false, conflict: 'username' });
      expect(await countBySkeleton(modern.usernameSkeleton)).toBe(1);
    });

    it('lets only one of two registrations of one email at the same moment win (unique index)', async () => {
      const email = `${unique()}@example.test`;
      // An uncommitted row with that email holds both inserts on the index; rolling it back
      // releases them together.
      const holder = await LockHolder.begin(db.dataSource);
      await holder.query(
        `INSERT INTO users (username, username_key, username_skeleton, email, email_key,
                            real_name, password_hash)
         VALUES ($1, lower($1), lower($1), $2, lower($2), 'Holder', 'x')`,
        [`holder_${unique()}`, email],
      );
      const racing = Promise.allSettled([
        users.create(newUser(undefined, email)),
        users.create(newUser(undefined, email)),
      ]);
      await holder.waitForWaiters(2, racing);
      await holder.rollback();

      const outcomes = fulfilledValues(await racing);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes).toContainEqual({ ok: false, conflict: 'email' });
      expect(await countByEmailKey(email)).toBe(1);
    });
  });

  describe('findById / findByUsernameKey', () => {
    it('finds a user by id and by lower-cased username', async () => {
      const fixture = await insertUser(db.dataSource, { username: `Find_${unique()}` });
      const byId = await users.findById(fixture.id);
      expect(byId).toMatchObject({ id: fixture.id, username: fixture.username });
      const byKey = await users.findByUsernameKey(fixture.username.toLowerCase());
      expect(byKey?.id).toBe(fixture.id);
    });

    it('returns null for unknown ids and keys (the key is not lower-cased for you)', async () => {
      const fixture = await insertUser(db.dataSource, { username: `Case_${unique()}` });
      expect(await users.findById('00000000-0000-4000-8000-000000000000')).toBeNull();
      expect(await users.findByUsernameKey(`nobody_${unique()}`)).toBeNull();
      expect(await users.findByUsernameKey(fixture.username)).toBeNull();
    });
  });

  describe('usernameSkeletonSql (the AddUsernameSkeleton back-fill)', () => {
    it.each(['alice', 'aIice', 'A1ICE', 'b0b', 'rnodern', 'vvendy', 'oli_1', 'rrnn_vvv', 'Il1i0O'])(
      'computes the same skeleton as usernameSkeleton for %s',
      async (username) => {
        const rows = await db.dataSource.query<{ skeleton: string }[]>(
          `SELECT ${usernameSkeletonSql('$1::text')} AS skeleton`,
          [username],
        );
        expect(rows[0].skeleton).toBe(usernameSkeleton(username));
      },
    );
  });
});
