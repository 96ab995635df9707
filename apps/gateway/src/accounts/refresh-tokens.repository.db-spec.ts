import { randomUUID } from 'node:crypto';
import { insertUser, unique } from '../../../../test/db/factories';
import { fulfilledValues, LockHolder, useRepoTestDb } from '../../../../test/db/repo-test-db';
import { RefreshTokenEntity } from './refresh-token.entity';
import { NewRefreshToken, RefreshTokensRepository } from './refresh-tokens.repository';
import { UserEntity } from './user.entity';

describe('RefreshTokensRepository (PostgreSQL)', () => {
  const db = useRepoTestDb([UserEntity, RefreshTokenEntity]);
  let tokens: RefreshTokensRepository;

  beforeAll(() => {
    tokens = new RefreshTokensRepository(db.dataSource);
  });

  const T0 = new Date('2031-01-01T00:00:00.000Z');
  const later = (ms: number) => new Date(T0.getTime() + ms);
  const DAY = 24 * 3600 * 1000;

  /** A live token (log-in) for a fresh user, in a fresh family. */
  async function issued(overrides: Partial<NewRefreshToken> = {}): Promise<NewRefreshToken> {
    const user = await insertUser(db.dataSource);
    const token: NewRefreshToken = {
      userId: user.id,
      tokenHash: `h_${unique(16)}`,
      familyId: randomUUID(),
      expiresAt: later(30 * DAY),
      ...overrides,
    };
    await tokens.insert(token);
    return token;
  }

  function next(expiresAt = later(60 * DAY)) {
    return { tokenHash: `h_${unique(16)}`, expiresAt };
  }

  async function family(familyId: string): Promise<RefreshTokenEntity[]> {
    return db.dataSource
      .getRepository(RefreshTokenEntity)
      .find({ where: { familyId }, order: { createdAt: 'ASC', tokenHash: 'ASC' } });
  }

  /**
   * Two rotations of one token at the same instant: the token's row lock is held so both queue on
   * it, then released so they run one after the other. Their outcomes, in the order called.
   */
  async function rotateTwiceAtOnce(tokenHash: string, graceMs: number): Promise<string[]> {
    const holder = await LockHolder.begin(db.dataSource);
    await holder.query(`SELECT id FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, [
      tokenHash,
    ]);
    const racing = Promise.allSettled([
      tokens.rotate(tokenHash, next(), later(1000), graceMs),
      tokens.rotate(tokenHash, next(), later(1000), graceMs),
    ]);
    await holder.waitForWaiters(2, racing);
    await holder.commit();
    return fulfilledValues(await racing).map((r) => r.outcome);
  }

  describe('insert / findByHash', () => {
    it('stores a live token and finds it by its hash', async () => {
      const token = await issued();
      const found = await tokens.findByHash(token.tokenHash);
      expect(found).toMatchObject({
        userId: token.userId,
        tokenHash: token.tokenHash,
        familyId: token.familyId,
        expiresAt: token.expiresAt,
        revokedAt: null,
        replacedBy: null,
      });
      expect(found?.id).toEqual(expect.any(String));
      expect(found?.createdAt).toBeInstanceOf(Date);
    });

    it('finds nothing for an unknown hash', async () => {
      expect(await tokens.findByHash(`h_${unique(16)}`)).toBeNull();
    });

    it('refuses a second token with the same hash', async () => {
      const token = await issued();
      // A new object: insert() writes the generated id back into the one it is given.
      const again: NewRefreshToken = {
        userId: token.userId,
        tokenHash: token.tokenHash,
        familyId: randomUUID(),
        expiresAt: token.expiresAt,
      };
      await expect(tokens.insert(again)).rejects.toThrow(/refresh_tokens_token_hash_uq/);
    });

    it('refuses a token for a user that does not exist', async () => {
      await expect(
        tokens.insert({
          userId: randomUUID(),
          tokenHash: `h_${unique(16)}`,
          familyId: randomUUID(),
          expiresAt: later(DAY),
        }),
      ).rejects.toThrow(/foreign key/);
    });
  });

  describe('rotate', () => {
    it('rotates a live token: a replacement in the same family, the old one revoked and linked', async () => {
      const token = await issued();
      const replacement = next();
      const result = await tokens.rotate(token.tokenHash, replacement, later(DAY));
      expect(result).toEqual({
        outcome: 'rotated',
        userId: token.userId,
        familyId: token.familyId,
      });

      const [old, fresh] = [
        await tokens.findByHash(token.tokenHash),
        await tokens.findByHash(replacement.tokenHash),
      ];
      expect(fresh).toMatchObject({
        userId: token.userId,
        familyId: token.familyId,
        expiresAt: replacement.expiresAt,
        revokedAt: null,
        replacedBy: null,
      });
      expect(old).toMatchObject({ revokedAt: later(DAY), replacedBy: fresh?.id });
    });

    it('rotates along a chain, each token once', async () => {
      const token = await issued();
      const [second, third] = [next(), next()];
      expect((await tokens.rotate(token.tokenHash, second, later(1000))).outcome).toBe('rotated');
      expect((await tokens.rotate(second.tokenHash, third, later(2000))).outcome).toBe('rotated');
      const rows = await family(token.familyId);
      expect(rows.map((r) => [r.tokenHash, r.revokedAt])).toEqual(
        expect.arrayContaining([
          [token.tokenHash, later(1000)],
          [second.tokenHash, later(2000)],
          [third.tokenHash, null],
        ]),
      );
      expect(rows).toHaveLength(3);
    });

    it('treats a rotated token presented again as reuse and revokes the whole family', async () => {
      const token = await issued();
      const [second, third] = [next(), next()];
      await tokens.rotate(token.tokenHash, second, later(1000));
      await tokens.rotate(second.tokenHash, third, later(2000));
      const bystander = await issued();

      const result = await tokens.rotate(token.tokenHash, next(), later(3000));
      expect(result).toEqual({ outcome: 'reused', userId: token.userId, familyId: token.familyId });

      const rows = await family(token.familyId);
      expect(rows).toHaveLength(3); // no replacement for a reused token
      const revokedAt = new Map(rows.map((r) => [r.tokenHash, r.revokedAt]));
      // Live tokens are revoked now; already revoked ones keep their time.
      expect(revokedAt.get(token.tokenHash)).toEqual(later(1000));
      expect(revokedAt.get(second.tokenHash)).toEqual(later(2000));
      expect(revokedAt.get(third.tokenHash)).toEqual(later(3000));
      expect((await tokens.findByHash(bystander.tokenHash))?.revokedAt).toBeNull();
    });

    it('treats a revoked (logged-out) token as reuse', async () => {
      const token = await issued();
      await tokens.revokeFamily(token.familyId, later(1000));
      expect((await tokens.rotate(token.tokenHash, next(), later(2000))).outcome).toBe('reused');
      expect((await tokens.findByHash(token.tokenHash))?.revokedAt).toEqual(later(1000));
    });

    it('refuses an expired token (expiry instant included) and changes nothing', async () => {
      const token = await issued({ expiresAt: later(DAY) });
      const replacement = next();
      expect(await tokens.rotate(token.tokenHash, replacement, later(DAY))).toEqual({
        outcome: 'expired',
      });
      expect(await tokens.findByHash(replacement.tokenHash)).toBeNull();
      expect(await tokens.findByHash(token.tokenHash)).toMatchObject({
        revokedAt: null,
        replacedBy: null,
      });
      // One millisecond before expiry it is still live.
      const fresh = await issued({ expiresAt: later(DAY) });
      expect((await tokens.rotate(fresh.tokenHash, next(), later(DAY - 1))).outcome).toBe(
        'rotated',
      );
    });

    it('answers unknown for a hash it never issued', async () => {
      expect(await tokens.rotate(`h_${unique(16)}`, next(), T0)).toEqual({ outcome: 'unknown' });
    });

    it('lets only one of two concurrent refreshes of one token win; the loser revokes the family', async () => {
      const token = await issued();
      const outcomes = await rotateTwiceAtOnce(token.tokenHash, 0);
      expect(outcomes.sort()).toEqual(['reused', 'rotated']);
      const rows = await family(token.familyId);
      expect(rows).toHaveLength(2); // the original and exactly one replacement
      expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
    });
  });

  describe('rotate within the reuse grace (a lost answer asked again)', () => {
    const GRACE = 60_000;

    it('rotates a token again while its replacement is unused: that replacement revoked outright, the grace not moved', async () => {
      const token = await issued();
      const [lost, again, later2] = [next(), next(), next()];
      await tokens.rotate(token.tokenHash, lost, later(1000), GRACE);
      expect(await tokens.rotate(token.tokenHash, again, later(30_000), GRACE)).toEqual({
        outcome: 'rotated',
        userId: token.userId,
        familyId: token.familyId,
      });
      const byHash = new Map((await family(token.familyId)).map((r) => [r.tokenHash, r]));
      expect(byHash.size).toBe(3);
      expect(byHash.get(token.tokenHash)).toMatchObject({
        revokedAt: later(1000),
        replacedBy: byHash.get(again.tokenHash)?.id,
      });
      expect(byHash.get(lost.tokenHash)).toMatchObject({
        revokedAt: later(30_000),
        replacedBy: null,
      });
      expect(byHash.get(again.tokenHash)).toMatchObject({ revokedAt: null, replacedBy: null });
      // The grace runs from the first rotation: past it, the same retry is theft.
      const result = await tokens.rotate(token.tokenHash, later2, later(1000 + GRACE), GRACE);
      expect(result.outcome).toBe('reused');
      expect((await family(token.familyId)).every((r) => r.revokedAt !== null)).toBe(true);
    });

    it('treats the replacement a retry revoked, presented later, as theft', async () => {
      const token = await issued();
      const [lost, again] = [next(), next()];
      await tokens.rotate(token.tokenHash, lost, later(1000), GRACE);
      await tokens.rotate(token.tokenHash, again, later(2000), GRACE);
      expect((await tokens.rotate(lost.tokenHash, next(), later(3000), GRACE)).outcome).toBe(
        'reused',
      );
      expect((await tokens.findByHash(again.tokenHash))?.revokedAt).toEqual(later(3000));
    });

    it('treats a rotated token as theft once its replacement was used, even within the grace', async () => {
      const token = await issued();
      const [second, third] = [next(), next()];
      await tokens.rotate(token.tokenHash, second, later(1000), GRACE);
      await tokens.rotate(second.tokenHash, third, later(2000), GRACE);
      const result = await tokens.rotate(token.tokenHash, next(), later(3000), GRACE);
      expect(result.outcome).toBe('reused');
      expect((await family(token.familyId)).every((r) => r.revokedAt !== null)).toBe(true);
    });

    it('treats a logged-out token as theft within the grace too', async () => {
      const token = await issued();
      const second = next();
      await tokens.rotate(token.tokenHash, second, later(1000), GRACE);
      await tokens.revokeFamily(token.familyId, later(2000));
      expect((await tokens.rotate(token.tokenHash, next(), later(3000), GRACE)).outcome).toBe(
        'reused',
      );
      expect(await family(token.familyId)).toHaveLength(2);
    });

    it('lets two concurrent refreshes of one token both answer, leaving exactly one live replacement', async () => {
      const token = await issued();
      const outcomes = await rotateTwiceAtOnce(token.tokenHash, GRACE);
      expect(outcomes).toEqual(['rotated', 'rotated']);
      const rows = await family(token.familyId);
      expect(rows).toHaveLength(3);
      const live = rows.filter((r) => r.revokedAt === null);
      expect(live).toHaveLength(1);
      expect(rows.find((r) => r.tokenHash === token.tokenHash)?.replacedBy).toBe(live[0]?.id);
    });
  });

  describe('revokeFamily', () => {
    it('revokes every live token of the family and counts them; a second call finds none', async () => {
      const token = await issued();
      const second = next();
      await tokens.rotate(token.tokenHash, second, later(1000));
      const other = await issued();

      expect(await tokens.revokeFamily(token.familyId, later(5000))).toBe(1);
      expect((await tokens.findByHash(second.tokenHash))?.revokedAt).toEqual(later(5000));
      expect((await tokens.findByHash(token.tokenHash))?.revokedAt).toEqual(later(1000));
      expect(await tokens.revokeFamily(token.familyId, later(6000))).toBe(0);
      expect((await tokens.findByHash(second.tokenHash))?.revokedAt).toEqual(later(5000));
      expect((await tokens.findByHash(other.tokenHash))?.revokedAt).toBeNull();
    });

    it('counts zero for a family it does not know', async () => {
      expect(await tokens.revokeFamily(randomUUID(), T0)).toBe(0);
    });
  });

  describe('endedSince', () => {
    it('lists the sessions ended since then (every token revoked), not rotated ones nor older ends', async () => {
      const base = new Date('2041-06-01T00:00:00.000Z').getTime();
      const at = (minutes: number) => new Date(base + minutes * 60_000);
      const loggedOut = await issued();
      await tokens.rotate(loggedOut.tokenHash, next(), at(1));
      await tokens.revokeFamily(loggedOut.familyId, at(10));
      const rotated = await issued();
      await tokens.rotate(rotated.tokenHash, next(), at(11)); // one revoked, its successor live
      const longAgo = await issued();
      await tokens.revokeFamily(longAgo.familyId, at(-60));

      const ended = await tokens.endedSince(at(0));
      const mine = ended.filter((e) =>
        [loggedOut.familyId, rotated.familyId, longAgo.familyId].includes(e.sessionId),
      );
      expect(mine).toEqual([{ sessionId: loggedOut.familyId, endedAt: at(10) }]);
    });
  });
});
