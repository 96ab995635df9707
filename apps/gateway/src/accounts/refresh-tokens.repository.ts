import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { RefreshTokenEntity } from './refresh-token.entity';
import { classifyRefreshToken, rotatedWithinGrace } from './refresh-token.policy';

export interface NewRefreshToken {
  userId: string;
  tokenHash: string;
  familyId: string;
  expiresAt: Date;
}

export type RotateResult =
  | { outcome: 'rotated'; userId: string; familyId: string }
  | { outcome: 'reused'; userId: string; familyId: string }
  | { outcome: 'expired' }
  | { outcome: 'unknown' };

@Injectable()
export class RefreshTokensRepository {
  private readonly tokens: Repository<RefreshTokenEntity>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.tokens = dataSource.getRepository(RefreshTokenEntity);
  }

  async insert(token: NewRefreshToken): Promise<void> {
    // A copy: TypeORM writes the generated id and created_at back into the object it inserts.
    await this.tokens.insert({ ...token });
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  /**
   * Rotates the token with `tokenHash` into `next` in one transaction, holding the old row's lock so
   * two concurrent refreshes of one token cannot both succeed (the loser sees it rotated: reuse).
   * On reuse the whole family is revoked and committed before the caller refuses the request.
   * A token rotated less than `graceMs` ago whose replacement nobody has presented is a retry of a
   * lost answer: that replacement is revoked outright (presenting it later is theft) and `next`
   * replaces it; the grace still runs from the first rotation.
   */
  async rotate(
    tokenHash: string,
    next: { tokenHash: string; expiresAt: Date },
    now: Date,
    graceMs = 0,
  ): Promise<RotateResult> {
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(RefreshTokenEntity);
      const current = await repo.findOne({
        where: { tokenHash },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return { outcome: 'unknown' };
      const replacement =
        current.replacedBy !== null && rotatedWithinGrace(current, now, graceMs)
          ? await repo.findOne({
              where: { id: current.replacedBy },
              lock: { mode: 'pessimistic_write' },
            })
          : null;
      const verdict = classifyRefreshToken(current, now, graceMs, replacement);
      if (verdict === 'expired') return { outcome: 'expired' };
      if (verdict === 'reused') {
        await repo.update({ familyId: current.familyId, revokedAt: IsNull() }, { revokedAt: now });
        return { outcome: 'reused', userId: current.userId, familyId: current.familyId };
      }
      const replacementId = randomUUID();
      await repo.insert({
        id: replacementId,
        userId: current.userId,
        familyId: current.familyId,
        tokenHash: next.tokenHash,
        expiresAt: next.expiresAt,
      });
      if (verdict === 'retried' && replacement) {
        await repo.update({ id: replacement.id }, { revokedAt: now });
        await repo.update({ id: current.id }, { replacedBy: replacementId });
      } else {
        await repo.update({ id: current.id }, { revokedAt: now, replacedBy: replacementId });
      }
      return { outcome: 'rotated', userId: current.userId, familyId: current.familyId };
    });
  }

  /**
   * Sessions (refresh-token families) ended since `since`: a token of theirs was revoked since then
   * and none is live (a rotation revokes one and leaves its replacement live; an ended session
   * revokes them all). With when each ended.
   */
  async endedSince(since: Date): Promise<{ sessionId: string; endedAt: Date }[]> {
    const rows = await this.dataSource.query<{ family_id: string; ended_at: Date }[]>(
      `SELECT r.family_id, max(r.revoked_at) AS ended_at FROM refresh_tokens r
        WHERE r.revoked_at > $1
          AND NOT EXISTS (SELECT 1 FROM refresh_tokens l
                           WHERE l.family_id = r.family_id AND l.revoked_at IS NULL)
        GROUP BY r.family_id`,
      [since],
    );
    return rows.map((r) => ({ sessionId: r.family_id, endedAt: new Date(r.ended_at) }));
  }

  /** Revokes every live token of a family; returns how many were live. */
  async revokeFamily(familyId: string, now: Date): Promise<number> {
    const result = await this.tokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: now });
    return result.affected ?? 0;
  }
}
