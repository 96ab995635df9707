import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource, Repository } from 'typeorm';
import { UserEntity } from '../accounts/user.entity';

import type { UserSummary } from '@parley/protocol';

/** The public face of an account: what other users may see. */
export type { UserSummary };

/** Usernames this gateway remembers (accounts are never renamed or removed). */
const USERNAME_CACHE_ENTRIES = 100_000;

/** Read-only look-ups of accounts by id and by (case-insensitive) username, for messaging. */
@Injectable()
export class UserDirectoryRepository {
  private readonly users: Repository<UserEntity>;
  private readonly usernames = new LRUCache<string, string>({ max: USERNAME_CACHE_ENTRIES });

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

  /**
   * An account's username, from memory after the first look-up (a connect asks on every
   * reconnect, and an account's name never changes); null for no such account (not remembered).
   */
  async usernameOf(id: string): Promise<string | null> {
    const known = this.usernames.get(id);
    if (known !== undefined) return known;
    const user = await this.users.findOne({ select: { id: true, username: true }, where: { id } });
    if (!user) return null;
    this.usernames.set(id, user.username);
    return user.username;
  }

  /** By username, case-insensitively (`usernameKey` is the lower-cased form). */
  async findByUsername(username: string): Promise<UserSummary | null> {
    const user = await this.users.findOne({
      select: { id: true, username: true, realName: true },
      where: { usernameKey: username.toLowerCase() },
    });
    return user ? summary(user) : null;
  }

  /** Many usernames at once (case-insensitively): one query; unknown names are absent. */
  async findByUsernames(usernames: readonly string[]): Promise<Map<string, UserSummary>> {
    if (usernames.length === 0) return new Map();
    const rows = await this.dataSource.query<{ id: string; username: string; real_name: string }[]>(
      `SELECT id, username, real_name FROM users WHERE username_key = ANY($1::text[])`,
      [usernames.map((u) => u.toLowerCase())],
    );
    return new Map(
      rows.map((r) => [
        r.username.toLowerCase(),
        { id: r.id, username: r.username, realName: r.real_name },
      ]),
    );
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
