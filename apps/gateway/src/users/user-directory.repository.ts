import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { UserEntity } from '../accounts/user.entity';

import type { UserSummary } from '@parley/protocol';

/** The public face of an account: what other users may see. */
export type { UserSummary };

/** Read-only look-ups of accounts by id and by (case-insensitive) username, for messaging. */
@Injectable()
export class UserDirectoryRepository {
  private readonly users: Repository<UserEntity>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.users = dataSource.getRepository(UserEntity);
  }

  async findById(id: string): Promise<UserSummary | null> {
    const user = await this.users.findOne({
      select: { id: true, username: true, realName: true },
      where: { id },
    });
    return user ? summary(user) : null;
  }

  /** By username, case-insensitively (`usernameKey` is the lower-cased form). */
  async findByUsername(username: string): Promise<UserSummary | null> {
    const user = await this.users.findOne({
      select: { id: true, username: true, realName: true },
      where: { usernameKey: username.toLowerCase() },
    });
    return user ? summary(user) : null;
  }

  /**
   * Usernames starting with `prefix` (case-insensitive), alphabetical. The prefix is matched
   * literally: `_` (a username character) and `%` / `\\` are escaped, so no prefix is a wildcard.
   */
  async searchByPrefix(prefix: string, limit: number): Promise<UserSummary[]> {
    const rows = await this.dataSource.query<{ id: string; username: string; real_name: string }[]>(
      `SELECT id, username, real_name FROM users
        WHERE username_key LIKE $1 ESCAPE '\\' ORDER BY username_key LIMIT $2`,
      [`${escapeLike(prefix.toLowerCase())}%`, limit],
    );
    return rows.map((r) => ({ id: r.id, username: r.username, realName: r.real_name }));
  }
}

/** `s` as a literal LIKE pattern (escape character `\\`). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function summary(user: Pick<UserEntity, 'id' | 'username' | 'realName'>): UserSummary {
  return { id: user.id, username: user.username, realName: user.realName };
}
