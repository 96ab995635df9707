import { randomUUID } from 'node:crypto';
import { RefreshTokenEntity } from '../accounts/refresh-token.entity';
import { UserEntity } from '../accounts/user.entity';
import { insertUser, unique } from '../../../../test/db/factories';
import { useRepoTestDb } from '../../../../test/db/repo-test-db';
import { UserDirectoryRepository } from './user-directory.repository';

describe('UserDirectoryRepository (PostgreSQL)', () => {
  const db = useRepoTestDb([UserEntity, RefreshTokenEntity]);
  let directory: UserDirectoryRepository;

  beforeAll(() => {
    directory = new UserDirectoryRepository(db.dataSource);
  });

  const user = (username: string) => insertUser(db.dataSource, { username });

  describe('findById', () => {
    it('returns the public summary (no email, no hash)', async () => {
      const alice = await user(`Alice_${unique()}`);
      expect(await directory.findById(alice.id)).toEqual({
        id: alice.id,
        username: alice.username,
        realName: alice.realName,
      });
    });

    it('returns null for an unknown id', async () => {
      expect(await directory.findById(randomUUID())).toBeNull();
    });
  });

  describe('usernameOf', () => {
    it('answers from the database once, then from memory', async () => {
      const alice = await user(`Alice_${unique()}`);
      const queries = jest.spyOn(db.dataSource, 'createQueryBuilder');
      try {
        expect(await directory.usernameOf(alice.id)).toBe(alice.username);
        const first = queries.mock.calls.length;
        expect(first).toBeGreaterThan(0);
        expect(await directory.usernameOf(alice.id)).toBe(alice.username);
        expect(queries.mock.calls.length).toBe(first);
      } finally {
        queries.mockRestore();
      }
    });

    it('returns null for an unknown id, and asks again next time', async () => {
      const id = randomUUID();
      const queries = jest.spyOn(db.dataSource, 'createQueryBuilder');
      try {
        expect(await directory.usernameOf(id)).toBeNull();
        const first = queries.mock.calls.length;
        expect(await directory.usernameOf(id)).toBeNull();
        expect(queries.mock.calls.length).toBeGreaterThan(first);
      } finally {
        queries.mockRestore();
      }
    });
  });

  describe('findByUsername', () => {
    it('finds a user in any case and returns the username as registered', async () => {
      const alice = await user(`Alice_${unique()}`);
      for (const asked of [
        alice.username,
        alice.username.toLowerCase(),
        alice.username.toUpperCase(),
      ]) {
        expect(await directory.findByUsername(asked)).toEqual({
          id: alice.id,
          username: alice.username,
          realName: alice.realName,
        });
      }
    });

    it('returns null for an unknown username and never matches a prefix', async () => {
      const alice = await user(`alice_${unique()}`);
      expect(await directory.findByUsername(`nobody_${unique()}`)).toBeNull();
      expect(await directory.findByUsername(alice.username.slice(0, -1))).toBeNull();
    });
  });

  describe('searchByPrefix', () => {
    /** Usernames under one fresh stem, so other tests' rows never match. */
    async function users(stem: string, suffixes: readonly string[]): Promise<void> {
      for (const suffix of suffixes) await user(`${stem}${suffix}`);
    }
    const names = async (prefix: string, limit = 50) =>
      (await directory.searchByPrefix(prefix, limit)).map((u) => u.username);

    it('matches the prefix in any case, alphabetically by lower-cased username', async () => {
      const stem = `p${unique()}`;
      await users(stem, ['c', 'A', 'b', 'Ba']);
      const expected = [`${stem}A`, `${stem}b`, `${stem}Ba`, `${stem}c`];
      expect(await names(stem)).toEqual(expected);
      expect(await names(stem.toUpperCase())).toEqual(expected);
      expect(await names(`${stem}B`)).toEqual([`${stem}b`, `${stem}Ba`]);
    });

    it('returns summaries and stops at the limit', async () => {
      const stem = `p${unique()}`;
      await users(stem, ['a', 'b', 'c']);
      const found = await directory.searchByPrefix(stem, 2);
      expect(found.map((u) => u.username)).toEqual([`${stem}a`, `${stem}b`]);
      expect(found[0]).toEqual({
        id: expect.any(String) as string,
        username: `${stem}a`,
        realName: `Real ${stem}a`,
      });
    });

    it('matches `_` literally (not any one character)', async () => {
      const stem = `p${unique()}`;
      await users(stem, ['_a', '_b', 'xa', 'ya']);
      expect(await names(`${stem}_`)).toEqual([`${stem}_a`, `${stem}_b`]);
    });

    it('matches `%` and `\\` literally (no prefix is a wildcard or an escape)', async () => {
      const stem = `p${unique()}`;
      // Not valid usernames for registration, but stored text all the same.
      await users(stem, ['%a', '\\b', 'plain']);
      expect(await names(`${stem}%`)).toEqual([`${stem}%a`]);
      expect(await names(`${stem}\\`)).toEqual([`${stem}\\b`]);
      expect(await names(`${stem}%%`)).toEqual([]);
      expect(await names(`${stem}p`)).toEqual([`${stem}plain`]);
    });

    it('finds nothing for a prefix nobody has', async () => {
      expect(await names(`p${unique()}`)).toEqual([]);
    });
  });
});
